"""Zoom: transcripts of recorded meetings arrive by themselves (`POST /zoom/events`).

signing (Zoom's webhook signatures) -> webhook (the route: verify, answer, claim, hand over) ->
downloads (the VTT file, with a Server-to-Server OAuth token or the event's download token; and the
meeting's participants, with the OAuth token) -> recordings (read, redact, score and file it under a deal,
or ask the host which deal) with matching (which deal a meeting is about: its topic, else its participants'
companies as CRM contacts).
"""
