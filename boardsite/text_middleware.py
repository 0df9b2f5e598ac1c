"""
Text from an HTTP request checked at the door, with the rule websocket
fields follow (boardsite.collab.text): the path, and every name and value of
the query string and of a form body, before any view runs. A request that
breaks it is answered 400 with a message naming the parameter, as JSON
(`{"ok": false, "code": "invalid_field", "error": ...}`) unless the client
asks for a page.

Values may hold tabs and line breaks (a text area's), so a one-line field
still checks itself (boardsite.collab.services, the views' parameters).
The door is for the views Boardsite does not write as much as for its own:
Django's admin hands list filters and autocomplete terms to the database
as they come, and a NUL made PostgreSQL refuse the query, a 500.
"""

from asgiref.sync import iscoroutinefunction
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.decorators import sync_and_async_middleware

from boardsite.collab.text import text_problem


def request_text_problem(request):
    """What the request holds that the rule refuses, as a sentence naming where; None if nothing."""
    problem = text_problem(request.path_info)
    if problem is not None:
        return f"The address {problem}."
    parameters = [request.GET]
    if request.method == "POST":
        parameters.append(request.POST)
    for query in parameters:
        for name, values in query.lists():
            problem = text_problem(name)
            if problem is not None:
                return f"A parameter name {problem}."
            for value in values:
                problem = text_problem(value, multiline=True)
                if problem is not None:
                    return f"`{name}` {problem}."
    return None


def refusal(request, message):
    accept = request.headers.get("Accept", "")
    if "text/html" in accept and "application/json" not in accept:
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    return JsonResponse({"ok": False, "code": "invalid_field", "error": message}, status=400)


@sync_and_async_middleware
def text_input_middleware(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            message = request_text_problem(request)
            if message is not None:
                return refusal(request, message)
            return await get_response(request)

    else:

        def middleware(request):
            message = request_text_problem(request)
            if message is not None:
                return refusal(request, message)
            return get_response(request)

    return middleware
