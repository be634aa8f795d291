"""SalesRL's Slack app, storage, scheduling and command line. Imports `agent`; never the reverse."""
