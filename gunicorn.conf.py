"""gunicorn settings read from the working directory (the image's /app): access log lines carry
the request id the app gave the response, so they join the app's own log lines (SPEC section
11: one line per event, with the request id). The user is on the app's lines for that id."""

access_log_format = (
    '%(t)s INFO gunicorn.access request_id=%({x-request-id}o)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms'
)
