"""Users (/api/users): admins create, list, update, deactivate and reactivate users."""
from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel

from server.authz import current_user, renew_own_session, roles_required
from server.schemas.fields import BusinessIdParam
from server.schemas.users import NewUser, User, UserChanges
from server.services import users as service
from server.validation import validate

users_bp = Blueprint("users", __name__, url_prefix="/api/users")


class UsersQuery(BaseModel):
    business_id: BusinessIdParam = None


@users_bp.get("")
@roles_required("admin")
@validate(query=UsersQuery, response=list[User])
def list_users(query: UsersQuery):
    """Users of your business; every user (or one business's) for the platform admin."""
    return jsonify([u.to_dict() for u in service.list_users(current_user(), query.business_id)]), 200


@users_bp.get("/<int:uid>")
@roles_required("admin")
@validate(response=User)
def get_user(uid: int):
    """One user."""
    return jsonify(service.get_user(current_user(), uid).to_dict()), 200


@users_bp.post("")
@roles_required("admin")
@validate(body=NewUser, response=User, status=201)
def create_user(body: NewUser):
    """Create a user with a role (and business)."""
    return jsonify(service.create_user_as(current_user(), body).to_dict()), 201


@users_bp.put("/<int:uid>")
@roles_required("admin")
@validate(body=UserChanges, response=User)
def update_user(uid: int, body: UserChanges):
    """Change name, role, business or password."""
    user = service.update_user(current_user(), uid, body)
    renew_own_session(user)  # your own new password ends your other sessions, not this one
    return jsonify(user.to_dict()), 200


@users_bp.post("/<int:uid>/deactivate")
@roles_required("admin")
@validate(response=User)
def deactivate_user(uid: int):
    """Deactivate: the user can no longer log in; an open session ends at once."""
    return jsonify(service.set_user_active(current_user(), uid, False).to_dict()), 200


@users_bp.post("/<int:uid>/reactivate")
@roles_required("admin")
@validate(response=User)
def reactivate_user(uid: int):
    """Reactivate a user."""
    return jsonify(service.set_user_active(current_user(), uid, True).to_dict()), 200
