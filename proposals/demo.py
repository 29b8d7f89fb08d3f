def seed(course, people):
    """Add this app's part of the demo course. `people` maps role names to users (see courses.demo)."""
