from campus.lti.models.grades import LineItemLink, ScoreSync
from campus.lti.models.launches import ContextLink, Launch, LaunchState, LtiIdentity
from campus.lti.models.registrations import Deployment, Registration, ToolKey

__all__ = [
    "ContextLink",
    "Deployment",
    "Launch",
    "LaunchState",
    "LineItemLink",
    "LtiIdentity",
    "Registration",
    "ScoreSync",
    "ToolKey",
]
