"""What the OAuth install routes show a browser, whatever its query string says.

Anyone may open /slack/install and /slack/oauth_redirect with any query. Bolt's own pages repeat
parts of it: `?team=` goes unencoded into the "Add to Slack" link (`team=T1%26client_id%3D…` adds
parameters of the sender's choosing to a link on our page), and `?error=` is shown on the failure
page as if it were ours. Here the install page takes only a workspace id from its query, and a
failed install is told in our own words with a 4xx status and logged in one line that repeats
nothing of the query (an OAuth code is a secret while it is valid).
"""

from __future__ import annotations

import logging
import urllib.parse

from slack_bolt import BoltResponse
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs

from salesrl.bot.slack.request_shapes import slack_id

log = logging.getLogger(__name__)

AGAIN = "start again from the install page"
# Bolt's reasons for a failed install, told in words; any other reason is an error code in the query
FAILURES = {
    "invalid_browser": f"this install link was opened in another browser, or has expired: {AGAIN}",
    "invalid_state": f"this install link has expired or was used already: {AGAIN}",
    "missing_code": f"Slack did not confirm this install: {AGAIN}",
    "invalid_code": f"Slack did not confirm this install: {AGAIN}",
    "storage_error": "the install could not be saved: try again in a few minutes",
}
REFUSED = f"the install was cancelled or refused in Slack: {AGAIN}"


def install_query(query: str) -> str | None:
    """The query Bolt may see on /slack/install: the workspace to install into (`team`) when it is a
    Slack id, nothing else; None when `team` is given and is not one."""
    teams = urllib.parse.parse_qs(query).get("team")
    if not teams:
        return ""
    team = slack_id(teams[0])
    return None if team is None or len(teams) > 1 else urllib.parse.urlencode({"team": team})


def _failure(args: FailureArgs) -> BoltResponse:
    if args.error is not None:  # saving the installation failed: ours to fix, with its traceback
        log.error("an OAuth install could not be saved", exc_info=args.error)
    else:
        reason = args.reason if args.reason in FAILURES else "refused in Slack"  # Slack's error: words of the query
        log.info("an OAuth install did not complete (%s)", reason)
    page = args.settings.redirect_uri_page_renderer.render_failure_page(FAILURES.get(args.reason, REFUSED))
    return BoltResponse(
        # Bolt suggests 200 for an error Slack reports: still no install, and maybe a forged link
        status=max(args.suggested_status_code, 400), body=page,
        headers={"Content-Type": "text/html; charset=utf-8",
                 "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion()})


def _success(args: SuccessArgs) -> BoltResponse:
    return args.default.success(args)


def callback_options() -> CallbackOptions:
    """Bolt's success page; our failure page."""
    return CallbackOptions(success=_success, failure=_failure)
