"""CRM sync: deals and opportunities from HubSpot and Salesforce into SalesRL's deals, their outcomes into
the digest's calibration, and (when a team turns it on) the latest score written back.

    config.py      which workspaces connect to which CRM, from environment variables
    matching.py    the key deal names are matched by (case, punctuation and legal suffixes ignored)
    retrying.py    rate limits and outages: what is retried, and how long to wait
    hubspot.py     HubSpot's CRM v3 deals, through hubspot-api-client
    salesforce.py  Salesforce opportunities, through simple-salesforce
    sync.py        one workspace's sync with one CRM, claimed once across processes
    writeback.py   the values written back, and only those that changed

The CRM clients are imported only in hubspot.py and salesforce.py, when a connection is used: SalesRL
works without the [crm] extra.
"""
