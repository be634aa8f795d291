"""The shipped models, installed as package data (`importlib.resources.files("salesrl.models")`)."""
