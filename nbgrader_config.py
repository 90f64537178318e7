# nbgrader configuration for this course (nbgrader looks for this file in the folder it runs in; copy it into
# your nbgrader course folder). `nbgrader generate_assignment` then releases exactly the course's learner
# notebooks: coursekit's own stubs (`return ...`, `name = ...`) instead of `raise NotImplementedError()`.
from coursekit.course.nbgrader_interop import course_preprocessors

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file
c.GenerateAssignment.preprocessors = course_preprocessors()
