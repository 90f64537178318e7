"""One module per lesson: its exercises (``q1`` ...), each checked against coursekit's reference code.

Notebook ``notebooks/NN_*.ipynb`` imports ``coursekit.course.lessons.lessonNN``. A lesson may import any layer
below the course and the course's framework (``coursekit.course.exercise`` ...), never another layer's tests.
"""
