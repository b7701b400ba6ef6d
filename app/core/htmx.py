"""htmx helpers: detect htmx requests, render page or partial, redirect properly."""
from flask import make_response, redirect, render_template, request


def is_htmx():
    """True when the request was made by htmx (and is not a history restore)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def render(page, partial, status=200, **context):
    """Render the full page, or only its partial for htmx; vary on HX-Request."""
    template = partial if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def htmx_redirect(location):
    """Redirect that works for htmx (HX-Redirect) and for normal requests (303)."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def trigger(response, event_name):
    """Add an HX-Trigger event to a response so other parts of the page can refresh."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event_name}" if existing else event_name
    return response
