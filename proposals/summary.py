def home_card(access):
    """This app's part of the course home page: {"template": ..., **context}, or None."""
    return None
