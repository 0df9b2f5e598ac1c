"""Every change to whiteboard boards goes through here."""

from django.db import transaction

from boardsite.collab import services as collab_services
from whiteboard.models import Board


@transaction.atomic
def board_create(*, name, owner):
    return collab_services.board_create(board_model=Board, name=name, owner=owner)
