"""Healthy controls for the real-world corpus, written by us: the hard cases a collapse alarm must pass.

Code-heavy technical prose, shell sessions, short answers, lists, dialogue, and ordinary English that repeats a
phrase on purpose (a refrain, a checklist, a drill): text whose n-grams, characters or word shapes look a little
like a loop, a soup or a template, yet nobody would call it a collapse. Grouped by the sitting they were written
in, so the dev/test split keeps each sitting on one side.
"""

from __future__ import annotations

__all__ = ["HEALTHY", "healthy_records"]

HEALTHY: dict[tuple[str, str], list[tuple[str, str]]] = {  # (group, mode) -> [(kind, text)]
    ("written-technical-1", "healthy_technical"): [
        ("code", "To read a file line by line, open it in a with block: `with open(path) as f: for line in f: "
                 "print(line.rstrip())`. The block closes the file even when the loop raises, so you never need "
                 "an explicit `f.close()`."),
        ("code", "def mean(xs):\n    if not xs:\n        raise ValueError('mean() of an empty list')\n    return "
                 "sum(xs) / len(xs)\n\nThe guard matters: without it, an empty list raises ZeroDivisionError, "
                 "which tells the caller nothing about what they passed."),
        ("shell", "$ git status\nOn branch main\nnothing to commit, working tree clean\n$ git log --oneline -3\n"
                  "a1b2c3d Fix the off-by-one in the pager\n9f8e7d6 Add a test for empty input\n1234abc Initial "
                  "import"),
        ("code", "Use `dict.get(key, default)` when a missing key is normal and `dict[key]` when it is a bug: "
                 "`config.get('timeout', 30)` reads an optional setting, while `config['host']` should fail loudly "
                 "if the host was never set."),
        ("code", "SELECT name, COUNT(*) AS n FROM orders WHERE created >= '2024-01-01' GROUP BY name HAVING "
                 "COUNT(*) > 5 ORDER BY n DESC;\n\nThis lists customers with more than five orders this year, "
                 "busiest first."),
    ],
    ("written-technical-2", "healthy_technical"): [
        ("list", "Before you open a pull request:\n- run the tests with `make test`\n- run the linter with `make "
                 "lint`\n- update the changelog\n- add a test for every bug you fix\n- keep each commit to one "
                 "change"),
        ("code", "for i in range(3):\n    for j in range(3):\n        grid[i][j] = 0\n\nThe nested loop clears a "
                 "3 x 3 grid. For a large grid, `grid = [[0] * n for _ in range(n)]` is shorter and faster."),
        ("config", "[server]\nhost = 0.0.0.0\nport = 8080\nworkers = 4\n\n[logging]\nlevel = info\nfile = "
                   "/var/log/app.log\n\nRestart the service after you change the port; the log level can be "
                   "changed while it runs."),
        ("code", "The regular expression `^\\d{4}-\\d{2}-\\d{2}$` matches a date like 2024-03-15 but also "
                 "2024-13-45, so parse the match with `datetime.date.fromisoformat` to reject impossible dates."),
        ("list", "1. Install the package: `pip install -e .`\n2. Create the config: `cp example.toml config.toml`"
                 "\n3. Run the server: `python -m app serve`\n4. Open http://localhost:8080 in a browser."),
    ],
    ("written-technical-3", "healthy_technical"): [
        ("code", "x = np.zeros((4, 4)); x[1:3, 1:3] = 1; print(x.sum())  # 4.0\n\nSlicing a NumPy array gives a "
                 "view, not a copy: writing to the slice changes `x` itself."),
        ("traceback", "Traceback (most recent call last):\n  File \"run.py\", line 12, in <module>\n    main()\n  "
                      "File \"run.py\", line 8, in main\n    total += row['price']\nKeyError: 'price'\n\nOne row "
                      "has no price column; print the row before the failing line to see which one."),
        ("code", "In Rust, `let v: Vec<u32> = (1..=5).map(|x| x * x).collect();` builds [1, 4, 9, 16, 25]. The "
                 "type annotation tells `collect` which container to build."),
        ("markup", "<ul>\n  <li><a href=\"/docs\">Docs</a></li>\n  <li><a href=\"/blog\">Blog</a></li>\n  <li><a "
                   "href=\"/about\">About</a></li>\n</ul>\nEach item is a link; the list gets its bullets from "
                   "the style sheet."),
        ("table", "| flag | meaning | default |\n|---|---|---|\n| -v | verbose output | off |\n| -q | quiet | off "
                  "|\n| -n N | number of workers | 4 |\n| -o FILE | write the report to FILE | stdout |"),
    ],
    ("written-human-1", "healthy_human"): [
        ("prose", "We left before sunrise and reached the ridge by nine. The wind had dropped, the sky was clear, "
                  "and for an hour we could see the whole valley, the lake, the village and the road we had walked "
                  "the day before."),
        ("repeated_phrase", "Measure twice, cut once. My grandfather said it every time he picked up a saw, and "
                            "he said it to me the first time I picked one up. Measure twice, cut once. I still "
                            "hear it whenever I reach for a tape."),
        ("prose", "The library closes at six on weekdays and at four on Saturdays. Books can be returned at any "
                  "time through the slot by the side door; the fine for a late book is ten cents a day."),
        ("repeated_phrase", "Stir the sauce, wait a minute, stir the sauce again. It sounds dull, but that is the "
                            "whole trick: stir, wait, stir, wait, until it coats the back of the spoon."),
        ("prose", "She had never liked the city in August. The air was heavy, the trains were slow, and everyone "
                  "she knew had gone to the coast. So she stayed in, read the long novel she had been saving, and "
                  "was happier than she expected."),
    ],
    ("written-human-2", "healthy_human"): [
        ("dialogue", "\"Are you coming tonight?\"\n\"I don't know. Who else is going?\"\n\"Sam, Priya, maybe "
                     "Luis.\"\n\"Then yes. What time?\"\n\"Eight, at the usual place.\"\n\"See you there.\""),
        ("dialogue", "A: Did you fix the printer?\nB: I tried. It prints, but every page has a grey line down the "
                     "middle.\nA: That's the drum. There is a spare in the cupboard.\nB: Thanks, I'll swap it "
                     "after lunch."),
        ("repeated_phrase", "Row, row, row your boat is the first round most children learn. One group starts, "
                            "the next joins a line later, and for a minute the room is full of the same four "
                            "lines, sung over and over, never quite together."),
        ("prose", "The committee met on Tuesday and agreed on three things: the budget stays as it is, the new "
                  "playground opens in May, and the next meeting moves to the school hall because the library is "
                  "being painted."),
        ("repeated_phrase", "Left, right, left, right: the drill sergeant called the step until the whole "
                            "platoon moved as one. After a week nobody needed the call any more, but he kept "
                            "calling it anyway."),
    ],
    ("written-human-3", "healthy_human"): [
        ("prose", "If the bread sinks in the middle, the dough rose too long or the oven was too cool. Try a "
                  "shorter second rise and check the oven with a thermometer; many ovens run twenty degrees below "
                  "their dial."),
        ("list", "Shopping list: eggs, milk, two onions, a bag of rice, olive oil, lemons, coffee, and something "
                 "for Sunday's dessert, maybe apples for a crumble."),
        ("foreign_word", "The German word Schadenfreude, pleasure at someone else's misfortune, has no single "
                         "English equivalent, which is why English speakers borrowed it rather than inventing "
                         "their own."),
        ("prose", "Our flight was delayed by three hours, so we ate at the airport, watched the planes, and "
                  "played cards on the floor by the gate. By the time we boarded, the delay felt like part of "
                  "the holiday."),
        ("repeated_phrase", "Thank you, thank you, thank you, she said, shaking every hand in the line. She meant "
                            "it each time; the volunteers had rebuilt the whole kitchen in a single weekend."),
    ],
    ("written-short-1", "healthy_short"): [
        ("answer", "Yes, the museum is open on Mondays from ten until five."),
        ("answer", "Paris is the capital of France, and it has been for centuries."),
        ("answer", "Use `len(items)` to get the number of items in a list."),
        ("answer", "No. The deadline moved to Friday, so there is still time."),
        ("answer", "It boils at 100 degrees Celsius at sea level, lower on a mountain."),
    ],
    ("written-short-2", "healthy_short"): [
        ("answer", "Turn it off and on again; if the light stays red, call support."),
        ("answer", "There are seven: Monday, Tuesday, Wednesday, Thursday, Friday, Saturday and Sunday."),
        ("answer", "Run `pip install -r requirements.txt` inside the virtual environment first."),
        ("answer", "The train leaves at 8:15 from platform 4 and takes forty minutes."),
        ("answer", "Sure. Add two cups of flour, one egg and a pinch of salt, then mix."),
    ],
    ("written-short-3", "healthy_short"): [
        ("answer", "The file is in your Downloads folder, and it is named report_final.pdf."),
        ("answer", "Thanks, that fixed it. The tests pass on both machines now."),
        ("answer", "Water the plant once a week, and less often in winter."),
        ("answer", "Bob was right: the bug was in the date parser, not the database."),
        ("answer", "Not yet. The review is scheduled for Thursday at two."),
    ],
}


def healthy_records() -> list[dict]:
    out = []
    for (group, mode), texts in HEALTHY.items():
        for i, (kind, text) in enumerate(texts, 1):
            out.append(dict(id=f"{group}-{i}", text=text, label="healthy", mode=mode, model=None,
                            origin="written_here", group=group, source="written for this corpus",
                            structure={"kind": kind, "words": len(text.split())}))
    return out
