"""The Jinja2 templates of every Slack message and digest, installed as package data
(`importlib.resources.files("salesrl.templates")`)."""
