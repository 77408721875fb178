"""The web face: the site shell every HTML page shares, and (per module) the pages.

:mod:`.text` holds every word of the shell in Vietnamese and English; :mod:`.render` the one
jinja2 environment, the language choice (query, then the remembered cookie, then Vietnamese)
and the context every page gets (user, role, CSRF token, time zone); :mod:`.shell` the routes
of the shell itself (the language switch).
"""
