"""Users (/api/users): admins create, list, update, deactivate and reactivate users."""
from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field

from server.authz import current_user, renew_own_session, roles_required
from server.schemas.fields import BusinessIdParam
from server.schemas.users import User
from server.services import users as service
from server.validation import validate

users_bp = Blueprint("users", __name__, url_prefix="/api/users")


class UsersQuery(BaseModel):
    business_id: BusinessIdParam = None


class UserCreateBody(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    role: str
    business_id: int | None = None
    name: str | None = None


class UserUpdateBody(BaseModel):
    name: str | None = None
    role: str | None = None
    business_id: int | None = None
    password: str | None = Field(default=None, max_length=1024)


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
@validate(body=UserCreateBody, response=User, status=201)
def create_user(body: UserCreateBody):
    """Create a user with a role (and business)."""
    return jsonify(service.create_user_as(current_user(), body.model_dump()).to_dict()), 201


@users_bp.put("/<int:uid>")
@roles_required("admin")
@validate(body=UserUpdateBody, response=User)
def update_user(uid: int, body: UserUpdateBody):
    """Change name, role, business or password."""
    data = {key: getattr(body, key) for key in body.model_fields_set}
    user = service.update_user(current_user(), uid, data)
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
