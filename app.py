"""Whistle (吹哨): the Chalice app. It registers the staff authorizer, the three blueprints and
the app-wide behaviours: every error in the API's one shape, and no way in but the edge."""

from chalice import Chalice

from functions.core.auth import staff_gate
from functions.core.http import edge_only, error_shape, request_context
from functions.dispatch import dispatch
from functions.intake import intake
from functions.metrics import metrics

app = Chalice(app_name="whistle")
# Chalice applies HTTP middleware to every route of the app, whichever blueprint declares it.
app.register_middleware(error_shape, "http")
# Every log line of a request, and its response, carry the request's id.
app.register_middleware(request_context, "http")
# Only what came through CloudFront is answered, wherever a secret for the edge is set.
app.register_middleware(edge_only, "http")
app.register_blueprint(staff_gate)
app.register_blueprint(intake)
app.register_blueprint(dispatch)
app.register_blueprint(metrics)
