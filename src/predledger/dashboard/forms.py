"""What every dashboard form does: check the CSRF token, name who acts, run, go back.

A form posts, the library call runs in its own transaction, and the browser is sent back
(303) to the page with a notice saying what was done, or why it was refused.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from predledger.dashboard.access import check_csrf, current_actor
from predledger.dashboard.rendering import redirect_with_notice, render_problem
from predledger.errors import InvalidRecordError, PredledgerError


def run_form(
    request: Request,
    *,
    csrf: str | None,
    actor: str | None,
    back: str,
    page: str,
    work: Callable[[str], str],
) -> Response:
    """Run ``work(who)`` for a submitted form; it returns the notice to show.

    Args:
        request: the form's request.
        csrf: the token the form carried.
        actor: the name typed in the form (used until accounts exist).
        back: the page to return to.
        page: the navigation entry of that page (for the refusal page).
        work: the library call; its ``PredledgerError`` is shown to the person, not raised.
    """
    try:
        check_csrf(request, csrf)
    except InvalidRecordError as exc:
        return render_problem(
            request,
            title="Form refused",
            message=exc.problem,
            back=(back, "back"),
            page=page,
            status_code=403,
        )
    who = current_actor(request) or (actor or "").strip()
    if not who:
        return redirect_with_notice(back, "say who you are: type your name in the form", error=True)
    try:
        done = work(who)
    except PredledgerError as exc:
        return redirect_with_notice(back, str(exc), error=True)
    return redirect_with_notice(back, done)


def safe_back(back: str | None, page: str) -> str:
    """The page a form returns to: only one of the dashboard's own (never an open redirect).

    Args:
        back: the address the form asked to return to (the page with its filters).
        page: the page's path under ``/dashboard``, e.g. ``/alerts``.
    """
    home = f"/dashboard{page}"
    if back and (back == home or back.startswith(f"{home}?")) and "//" not in back:
        return back
    return home
