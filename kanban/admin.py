"""
The kanban admin. Columns, cards and labels changed here go through kanban.services
like any other change, so they are recorded as events and appear live on
open boards once the admin's transaction commits.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from boardsite.collab import admin as collab_admin
from boardsite.collab.admin import ChangesViaAdminMixin, ReadOnlyAdmin
from boardsite.collab.errors import ActionError
from kanban import activity, attachments, checklists, comments, lanes, services
from kanban.models import Attachment, Board, BoardActivity, Card, Checklist, ChecklistItem, Column, Comment, Label, Lane


def as_validation_error(error, field=None):
    return ValidationError({field: error.message} if field else error.message)


def seen_field():
    """A field's value as the page showed it (AsSeenForm): hidden, in JSON, so a None stays None."""
    return forms.JSONField(widget=forms.HiddenInput, required=False)


class AsSeenForm(forms.ModelForm):
    """
    Refuses to save over a value someone else changed since the form was
    opened, as the board does (services.check_as_seen). The page carries the
    values it showed (`seen_<field>`, hidden); a field differing from them
    was changed here, and only those are saved, so a field left as it was
    does not undo someone's change to it. Refused, the form keeps what was
    typed, shows the others' values in the fields not changed here, and
    takes the others' values as seen: saving again replaces them.
    """

    as_seen = ()  # the fields compared and saved, each with a `seen_<field>` declared (seen_field)
    what = ""  # how check_as_seen names the thing: "column", "lane", "label"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in self.as_seen:
                self.fields[f"seen_{name}"].initial = getattr(self.instance, name)

    def said_seen(self, name):
        """Whether the page said what it showed of `name` (a page older than these fields did not)."""
        return self.add_prefix(f"seen_{name}") in self.data

    def changes(self):
        """The fields changed here, name -> the value typed: those differing from what the page showed."""
        return {
            name: self.cleaned_data[name] for name in self.as_seen
            if (self.cleaned_data[name] != self.cleaned_data.get(f"seen_{name}") if self.said_seen(name)
                else name in self.changed_data)
        }

    def was(self):
        """What the page showed of the fields changed here; None if it did not say."""
        return {name: self.cleaned_data.get(f"seen_{name}") for name in self.changes() if self.said_seen(name)} or None

    def clean(self):
        cleaned = super().clean()
        was = self.was() if self.instance.pk and not self.errors else None
        current = was and type(self.instance).objects.filter(pk=self.instance.pk).values(*self.as_seen).first()
        if current:
            try:
                services.check_as_seen(current=current, was=was, what=self.what, frame=None)
            except ActionError as error:
                self.data = self.data.copy()
                for name, value in current.items():
                    self.data[self.add_prefix(f"seen_{name}")] = json.dumps(value)
                    if name not in was:
                        self.data[self.add_prefix(name)] = "" if value is None else str(value)
                raise as_validation_error(error) from None
        return cleaned


class ColumnAdminForm(AsSeenForm):
    as_seen = ("title", "wip_limit")
    what = "column"
    seen_title = seen_field()
    seen_wip_limit = seen_field()

    class Meta:
        model = Column
        fields = ("board", "title", "wip_limit")


class ColumnInline(admin.TabularInline):
    model = Column
    form = ColumnAdminForm
    fields = ("title", "wip_limit", "position", "seen_title", "seen_wip_limit")
    readonly_fields = ("position",)
    ordering = ("position", "id")
    extra = 0
    show_change_link = True


@admin.register(Board)
class BoardAdmin(collab_admin.BoardAdmin):
    list_display = ("name", "owner", "shared_with_all", "last_seq", "last_activity_at")
    list_filter = ("shared_with_all",)
    search_fields = ("name", "slug", "owner__username", "members__username")
    readonly_fields = ("slug", "last_seq", "created_at", "last_activity_at")
    filter_horizontal = ("members",)
    list_select_related = ("owner",)
    inlines = [ColumnInline]

    def create_board(self, *, name, owner):
        return services.board_create(name=name, owner=owner)

    def save_formset(self, request, form, formset, change):
        """Column edits made in the board's page go through the services, one event each."""
        if formset.model is not Column:
            return super().save_formset(request, form, formset, change)
        board = form.instance
        added, changed, deleted = [], [], []
        try:
            with transaction.atomic():
                for column_form in formset.forms:
                    column = column_form.instance
                    if column_form in formset.deleted_forms:
                        if column.pk:
                            services.column_delete(board=board, column_id=column.pk, actor=request.user)
                            deleted.append(column)
                    elif column.pk is None and column_form.has_changed():
                        services.column_create(board=board, title=column_form.cleaned_data["title"],
                                               wip_limit=column_form.cleaned_data["wip_limit"], actor=request.user)
                        added.append(column)
                    elif column.pk and (changes := column_form.changes()):
                        services.column_update(board=board, column_id=column.pk, **changes, was=column_form.was(),
                                               actor=request.user)
                        changed.append((column, list(changes)))
        except ActionError as error:
            added, changed, deleted = [], [], []
            messages.error(request, f"The columns were not changed: {error.message}")
        # What the admin's history entry lists: ModelAdmin.construct_change_message reads these,
        # which formset.save() would have set.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = added, changed, deleted


@admin.register(Column)
class ColumnAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    form = ColumnAdminForm
    list_display = ("title", "board", "position", "wip_limit", "card_count")
    list_filter = ("board",)
    search_fields = ("title", "board__name")
    ordering = ("board", "position", "id")
    list_select_related = ("board",)
    readonly_fields = ("position",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_of_cards=Count("cards"))

    @admin.display(description="cards", ordering="number_of_cards")
    def card_count(self, column):
        return column.number_of_cards

    def get_readonly_fields(self, request, obj=None):
        return ("board", "position") if obj else ("position",)

    def save_model(self, request, obj, form, change):
        if change:
            if changes := form.changes():
                services.column_update(board=obj.board, column_id=obj.pk, **changes, was=form.was(),
                                       actor=request.user)
        else:
            applied = services.column_create(board=obj.board, title=obj.title, wip_limit=obj.wip_limit,
                                           actor=request.user)
            obj.pk = applied.details["column"]["id"]

    def delete_model(self, request, obj):
        services.column_delete(board=obj.board, column_id=obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset):
        for column in queryset.select_related("board"):
            services.column_delete(board=column.board, column_id=column.pk, actor=request.user)


class LabelAdminForm(AsSeenForm):
    """Validates the name as the websocket does (trimmed, one line, unique on its board)."""

    as_seen = ("name", "colour")
    what = "label"
    seen_name = seen_field()
    seen_colour = seen_field()

    class Meta:
        model = Label
        fields = ("board", "name", "colour")

    def clean(self):
        cleaned = super().clean()
        board = cleaned.get("board") or (self.instance.board if self.instance.board_id else None)
        if board is not None and "name" in cleaned:
            try:
                cleaned["name"] = services.clean_label_name(board=board, name=cleaned["name"],
                                                            renaming=self.instance if self.instance.pk else None)
            except ActionError as error:
                self.add_error("name", error.message)
        return cleaned


@admin.register(Label)
class LabelAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    form = LabelAdminForm
    list_display = ("name", "colour", "board")
    list_filter = ("board", "colour")
    search_fields = ("name", "board__name")
    ordering = ("board", "name")
    list_select_related = ("board",)

    def get_readonly_fields(self, request, obj=None):
        return ("board",) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            if changes := form.changes():
                services.label_update(board=obj.board, label_id=obj.pk, **changes, was=form.was(),
                                      actor=request.user)
        else:
            applied = services.label_create(board=obj.board, name=obj.name, colour=obj.colour, actor=request.user)
            obj.pk = applied.details["label"]["id"]

    def delete_model(self, request, obj):
        services.label_delete(board=obj.board, label_id=obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset):
        for label in queryset.select_related("board"):
            services.label_delete(board=label.board, label_id=label.pk, actor=request.user)


class CardAdminForm(forms.ModelForm):
    """
    Validates like the websocket does (members only as assignees, the board's
    own columns and labels, locks), and refuses to save over a change made
    since the form was opened.
    """

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Card
        fields = ("board", "column", "title", "description", "assignees", "labels", "start_date", "start_time",
                  "due_date", "due_time")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        columns = Column.objects.select_related("board").order_by("board__name", "board_id", "position")
        labels = Label.objects.select_related("board").order_by("board__name", "board_id", "name")
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
            board = self.instance.board
            columns, labels = columns.filter(board=board), labels.filter(board=board)
            self.fields["assignees"].queryset = get_user_model().objects.filter(
                Q(pk=board.owner_id) | Q(pk__in=board.members.values("pk"))
            ).order_by("username")
        # Every board has a "To do": name the board too.
        self.fields["column"].queryset = columns
        self.fields["column"].label_from_instance = lambda column: f"{column.board.name} › {column.title}"
        self.fields["labels"].queryset = labels
        self.fields["labels"].label_from_instance = lambda label: f"{label.board.name} › {label.name}"

    def clean(self):
        cleaned = super().clean()
        board = cleaned.get("board") or (self.instance.board if self.instance.board_id else None)
        if board is None:
            return cleaned
        column = cleaned.get("column")
        if column is not None and column.board_id != board.pk:
            self.add_error("column", "Pick a column of this card's board.")
        if any(label.board_id != board.pk for label in cleaned.get("labels") or []):
            self.add_error("labels", "Pick labels of this card's board.")
        try:
            services.clean_assignees(board=board, user_ids=[user.pk for user in cleaned.get("assignees") or []])
        except ActionError as error:
            self.add_error("assignees", error.message)
        if column is not None and column.board_id == board.pk and column.pk != self.instance.column_id:
            try:  # a card added, or moved to another column, must fit its WIP limit
                services.check_wip_limit(column=services.get_column(board=board, column_id=column.pk,
                                                                    with_card_count=True), adding=1)
            except ActionError as error:
                self.add_error("column", error.message)
        if self.instance.pk:
            current = Card.objects.select_related("locked_by").get(pk=self.instance.pk)
            if cleaned.get("expected_version") not in (None, current.version):
                raise ValidationError(
                    "Someone changed this card since you opened this page. Reload it to see their change."
                )
            try:
                services.check_not_locked(card=current, connection=None)
            except ActionError as error:
                raise as_validation_error(error) from None
        return cleaned


# The card form's start and due times, and their names in card.update.
SCHEDULE_FIELDS = {"start_date": "start", "start_time": "start_time", "due_time": "due_time"}


@admin.register(Card)
class CardAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    form = CardAdminForm
    list_display = ("title", "board", "column", "due_date", "version", "updated_at")
    list_filter = ("board", "column", "assignees", "labels")
    search_fields = ("title", "description", "board__name", "assignees__username")
    ordering = ("board", "column__position", "position")
    list_select_related = ("board", "column")
    readonly_fields = ("version", "locked_by", "lock_expires_at", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return ("board", *self.readonly_fields) if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            applied = services.card_create(
                board=obj.board,
                column_id=obj.column_id,
                title=data["title"],
                description=data.get("description", ""),
                assignee_ids=[user.pk for user in data.get("assignees", [])],
                label_ids=[label.pk for label in data.get("labels", [])],
                due_date=obj.due_date,
                actor=request.user,
            )
            obj.pk = applied.details["card"]["id"]
            schedule = {name: data.get(field) for field, name in SCHEDULE_FIELDS.items() if data.get(field) is not None}
            if schedule:
                services.card_update(board=obj.board, card_id=obj.pk, version=applied.details["card"]["version"],
                                     changes=schedule, actor=request.user)
            return
        version = Card.objects.values_list("version", flat=True).get(pk=obj.pk)
        field_names = {"title": "title", "description": "description", "assignees": "assignees",
                       "labels": "labels", "due_date": "due", **SCHEDULE_FIELDS}
        changes = {}
        for form_field, change_name in field_names.items():
            if form_field in form.changed_data:
                value = data[form_field]
                if form_field == "assignees":
                    value = [user.pk for user in value]
                elif form_field == "labels":
                    value = [label.pk for label in value]
                changes[change_name] = value
        if changes:
            version = services.card_update(board=obj.board, card_id=obj.pk, version=version, changes=changes,
                                           actor=request.user).details["card"]["version"]
        if "column" in form.changed_data:
            end = Card.objects.filter(column_id=obj.column_id).exclude(pk=obj.pk).count()
            services.card_move(board=obj.board, card_id=obj.pk, version=version, column_id=obj.column_id,
                               index=end, actor=request.user)

    def save_related(self, request, form, formsets, change):
        """Labels were saved by the service with the rest of the card."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        """A card someone is dragging or editing cannot be deleted until they are done."""
        if obj is not None and obj.lock_holder() is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.card_delete(board=obj.board, card_id=obj.pk, version=obj.version, actor=request.user)

    def delete_queryset(self, request, queryset):
        skipped = []
        for card in queryset.select_related("board", "locked_by"):
            try:
                services.card_delete(board=card.board, card_id=card.pk, version=card.version, actor=request.user)
            except ActionError as error:
                skipped.append(f"{card.title}: {error.message}")
        if skipped:
            self.message_user(request, "Not deleted: " + "; ".join(skipped), level=messages.WARNING)


class CommentAdminForm(forms.ModelForm):
    """Refuses to save over an edit made since the form was opened, as the card form does."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Comment
        fields = ("card", "body")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        else:
            self.fields["card"].queryset = Card.objects.select_related("board").order_by("board__name", "title")
            self.fields["card"].label_from_instance = lambda card: f"{card.board.name} › {card.title}"

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = Comment.objects.values_list("version", flat=True).get(pk=self.instance.pk)
            if cleaned.get("expected_version") not in (None, current):
                raise ValidationError("Someone edited this comment since you opened this page. Reload it to see their change.")
        return cleaned


@admin.register(Comment)
class CommentAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    """Comments edited or deleted here go through kanban.comments: live on open boards, in the activity feed."""

    form = CommentAdminForm
    list_display = ("short_body", "card", "board", "author", "created_at", "edited_at")
    list_filter = ("board",)
    search_fields = ("body", "card__title", "author__username", "board__name")
    list_select_related = ("card", "board", "author")
    readonly_fields = ("author", "version", "created_at", "edited_at")
    ordering = ("-created_at", "-id")

    @admin.display(description="comment")
    def short_body(self, comment):
        return activity.shortened(comment.body)

    def get_readonly_fields(self, request, obj=None):
        return ("card", *self.readonly_fields) if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            comments.comment_update(board=obj.board, comment_id=obj.pk, version=form.cleaned_data.get("expected_version") or obj.version,
                                    body=form.cleaned_data["body"], actor=request.user)
        else:
            applied = comments.comment_create(board=obj.card.board, card_id=obj.card_id, body=form.cleaned_data["body"],
                                              actor=request.user)
            obj.pk = applied.details["comment"]["id"]

    def save_related(self, request, form, formsets, change):
        """Mentions are the service's to set, from the text."""

    def delete_model(self, request, obj):
        comments.comment_delete(board=obj.board, comment_id=obj.pk, version=obj.version, actor=request.user)

    def delete_queryset(self, request, queryset):
        for comment in queryset.select_related("board"):
            comments.comment_delete(board=comment.board, comment_id=comment.pk, version=comment.version,
                                    actor=request.user)


class ChecklistAdminForm(AsSeenForm):
    as_seen = ("title",)
    what = "checklist"
    seen_title = seen_field()

    class Meta:
        model = Checklist
        fields = ("card", "title")


@admin.register(Checklist)
class ChecklistAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    """Checklists saved here go through kanban.checklists: live on open boards, in the activity feed."""

    form = ChecklistAdminForm
    list_display = ("title", "card", "board")
    list_filter = ("board",)
    search_fields = ("title", "card__title", "board__name")
    list_select_related = ("card", "board")
    fields = ("card", "title", "seen_title")

    def get_readonly_fields(self, request, obj=None):
        return ("card",) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            if changes := form.changes():
                checklists.checklist_update(board=obj.board, checklist_id=obj.pk, **changes, was=form.was(),
                                            actor=request.user)
        else:
            applied = checklists.checklist_create(board=obj.card.board, card_id=obj.card_id, title=obj.title,
                                                  actor=request.user)
            obj.pk = applied.details["checklist"]["id"]

    def delete_model(self, request, obj):
        checklists.checklist_delete(board=obj.board, checklist_id=obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset):
        for checklist in queryset.select_related("board"):
            checklists.checklist_delete(board=checklist.board, checklist_id=checklist.pk, actor=request.user)


class ChecklistItemAdminForm(forms.ModelForm):
    """Refuses to save text over an edit made since the form was opened."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ChecklistItem
        fields = ("checklist", "text", "done")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "text" in self.changed_data:
            current = ChecklistItem.objects.values_list("version", flat=True).get(pk=self.instance.pk)
            if cleaned.get("expected_version") not in (None, current):
                raise ValidationError("Someone edited this item since you opened this page. Reload it to see their change.")
        return cleaned


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    """Items saved here go through kanban.checklists: live on open boards, in the activity feed."""

    form = ChecklistItemAdminForm
    list_display = ("text", "done", "checklist", "board")
    list_filter = ("board", "done")
    search_fields = ("text", "checklist__title", "board__name")
    list_select_related = ("checklist", "board")

    def get_readonly_fields(self, request, obj=None):
        return ("checklist",) if obj else ()

    def save_model(self, request, obj, form, change):
        if not change:
            applied = checklists.item_create(board=obj.checklist.board, checklist_id=obj.checklist_id, text=obj.text,
                                             actor=request.user)
            obj.pk = applied.details["item"]["id"]
            if obj.done:
                checklists.item_check(board=obj.checklist.board, item_id=obj.pk, done=True, actor=request.user)
            return
        if "text" in form.changed_data:
            version = form.cleaned_data.get("expected_version") or obj.version
            checklists.item_update(board=obj.board, item_id=obj.pk, version=version, text=obj.text, actor=request.user)
        if "done" in form.changed_data:
            checklists.item_check(board=obj.board, item_id=obj.pk, done=obj.done, actor=request.user)

    def delete_model(self, request, obj):
        checklists.item_delete(board=obj.board, item_id=obj.pk, version=obj.version, actor=request.user)

    def delete_queryset(self, request, queryset):
        for item in queryset.select_related("board"):
            checklists.item_delete(board=item.board, item_id=item.pk, version=item.version, actor=request.user)


@admin.register(BoardActivity)
class BoardActivityAdmin(ReadOnlyAdmin):
    """Each board's activity feed, read-only: the event log told in words."""

    list_display = ("seq", "created_at", "board", "author", "made_in_admin", "summary")
    list_display_links = None
    list_filter = ("board", "author")
    search_fields = ("board__name", "author__username")
    list_select_related = ("board", "author")
    list_per_page = 50

    def changelist_view(self, request, extra_context=None):
        self.names_by_board = {}  # one lookup of column, label and people names per board on the page
        return super().changelist_view(request, extra_context)

    @admin.display(boolean=True, description="in the admin")
    def made_in_admin(self, event):
        return event.payload.get("via") == "admin"

    @admin.display(description="what happened")
    def summary(self, event):
        names = self.names_by_board.get(event.board_id)
        if names is None:
            names = self.names_by_board[event.board_id] = activity.Names(board=event.board)
        entry = activity.describe(event, names)
        return "; ".join([entry.summary, *(f"{d.field}: {d.old} → {d.new}" for d in entry.details)])


class AttachmentAdminForm(forms.ModelForm):
    """A new attachment: a card and a file, checked and stored by kanban.attachments as an upload on the board."""

    upload = forms.FileField(label="File")

    class Meta:
        model = Attachment
        fields = ("card",)

    def clean_upload(self):
        try:
            return attachments.check_upload(self.cleaned_data["upload"])
        except ActionError as error:
            raise ValidationError(error.message) from None


@admin.register(Attachment)
class AttachmentAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    """
    Files on cards. Adding one goes through kanban.attachments as an upload
    on the board does; deleting one removes it from its card (into the
    board's archive) or, once removed, deletes it for good: live on open
    boards, in the activity feed.
    """

    form = AttachmentAdminForm
    autocomplete_fields = ("card",)  # a site may hold thousands of cards
    list_display = ("name", "card", "board", "size", "uploaded_by", "created_at", "removed_at")
    list_filter = ("board", ("removed_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "card__title", "board__name", "uploaded_by__username")
    list_select_related = ("card", "board", "uploaded_by")
    readonly_fields = ("name", "card", "board", "content_type", "size", "width", "height", "uploaded_by",
                       "created_at", "removed_at", "file", "thumbnail")
    ordering = ("-created_at", "-id")
    actions = ["restore"]

    def get_fields(self, request, obj=None):
        return ("card", "upload") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:  # an attachment's fields are not edited: it is added, removed, restored or deleted
            return
        applied = attachments.attachment_create(board=obj.card.board, card_id=obj.card_id,
                                                upload=form.cleaned_data["upload"], actor=request.user)
        obj.pk = applied.details["attachment"]["id"]

    def delete_model(self, request, obj):
        remove = attachments.attachment_remove if obj.removed_at is None else attachments.attachment_delete
        remove(board=obj.board, attachment_id=obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset):
        for attachment in queryset.select_related("board"):
            self.delete_model(request, attachment)

    @admin.action(description="Put the selected removed files back on their cards")
    def restore(self, request, queryset):
        for attachment in queryset.exclude(removed_at=None).select_related("board"):
            try:
                attachments.attachment_restore(board=attachment.board, attachment_id=attachment.pk, actor=request.user)
            except ActionError as error:
                self.message_user(request, f"“{attachment.name}”: {error.message}", level=messages.ERROR)


class LaneAdminForm(AsSeenForm):
    as_seen = ("title",)
    what = "lane"
    seen_title = seen_field()

    class Meta:
        model = Lane
        fields = ("board", "title")


@admin.register(Lane)
class LaneAdmin(ChangesViaAdminMixin, admin.ModelAdmin):
    """Swimlanes added, renamed and deleted here go through kanban.lanes: live on open boards, in the activity feed."""

    form = LaneAdminForm
    list_display = ("title", "board", "position")
    list_filter = ("board",)
    search_fields = ("title", "board__name")
    list_select_related = ("board",)
    fields = ("board", "title", "seen_title")
    ordering = ("board", "position", "id")

    def get_readonly_fields(self, request, obj=None):
        return ("board",) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            if changes := form.changes():
                lanes.lane_update(board=obj.board, lane_id=obj.pk, **changes, was=form.was(), actor=request.user)
        else:
            obj.pk = lanes.lane_create(board=obj.board, title=obj.title, actor=request.user).details["lane"]["id"]

    def delete_model(self, request, obj):
        lanes.lane_delete(board=obj.board, lane_id=obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset):
        for lane in queryset.select_related("board"):
            lanes.lane_delete(board=lane.board, lane_id=lane.pk, actor=request.user)
