"""The docstrings of standard-library modules as a fresh interpreter sees them: the corpus's "docstrings" source.

``corpus.py`` runs this file as a script in a child process,

    python -I stdlib_docstrings.py TYPING_EXTENSIONS_FILE MODULE ...

which writes the docstrings to stdout as UTF-8. Walking the modules in the caller's own process would depend on the
front-end: in a Jupyter kernel ``builtins.input`` is ipykernel's function while a cell runs, so ``input``'s
docstring would drop out, the corpus and the tokenizer trained on it would differ from a script's, and the same
training config would halt at another step in a notebook than on the command line. ``-I`` keeps PYTHONPATH, the
user's site-packages and the working directory (a learner's ``random.py``) out of the child's imports.

The child imports the standard library and one more module, the caller's ``typing_extensions`` file: torch imports
it, so every process that uses the corpus has it, and it replaces two private helpers of ``typing``
(``_check_generic``, ``_collect_parameters``), whose docstrings a script's corpus has therefore never held.
"""

import importlib
import importlib.util
import inspect
import sys
import warnings


def docstrings(module_names: list[str]) -> list[str]:
    """Each module's docstring, then those of the classes (and their members) and routines it defines, in name
    order; each text once (an inherited or aliased docstring is kept at its first place). A module missing from a
    stripped-down Python is skipped."""
    with warnings.catch_warnings():  # typing.io and typing.re warn when their attributes are read
        warnings.simplefilter("ignore", DeprecationWarning)
        modules = []
        for name in module_names:  # all imported before any is walked
            try:
                modules.append(importlib.import_module(name))
            except ImportError:
                continue
        docs: dict[str, None] = {}  # an ordered set
        for module in modules:
            objects = [module]
            # vars(), not getattr(): a module's __getattr__ (typing has one) may warn or import.
            for _, obj in sorted(vars(module).items()):
                if (inspect.isclass(obj) or inspect.isroutine(obj)) and (
                    getattr(obj, "__module__", None) == module.__name__  # defined here, not imported from elsewhere
                ):
                    objects.append(obj)
                    if inspect.isclass(obj):
                        objects += [member for _, member in sorted(vars(obj).items())]
            for obj in objects:
                doc = getattr(obj, "__doc__", None)
                if isinstance(doc, str) and (doc := inspect.cleandoc(doc)):
                    docs[doc] = None
    return list(docs)


if __name__ == "__main__":
    typing_extensions_file, *names = sys.argv[1:]
    spec = importlib.util.spec_from_file_location("typing_extensions", typing_extensions_file)
    sys.modules["typing_extensions"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules["typing_extensions"])
    sys.stdout.buffer.write("\n\n".join(docstrings(names)).encode("utf-8"))
