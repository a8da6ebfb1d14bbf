from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from procedures import services
from procedures.models import Procedure, ProcedureVersion


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = readonly_fields = ("number", "note", "created_by", "created_at")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProcedureAdminForm(forms.ModelForm):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "vLargeTextField"}),
        help_text="Saving a changed body adds a new version; earlier versions never change.",
    )
    note = forms.CharField(required=False, max_length=200)

    class Meta:
        model = Procedure
        fields = ["title"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.latest_version:
            self.fields["body"].initial = self.instance.latest_version.body

    def clean_body(self) -> str:
        try:
            return services.validated_body(self.cleaned_data["body"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["body"]) from None


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureAdminForm
    list_display = ["title", "latest_number", "updated_at", "created_by"]
    search_fields = ["title"]
    list_select_related = ["latest_version", "created_by"]
    inlines = [VersionInline]

    @admin.display(description="Latest version")
    def latest_number(self, procedure: Procedure) -> int | None:
        return procedure.latest_version.number if procedure.latest_version else None

    def save_model(self, request: HttpRequest, obj: Procedure, form: Any, change: bool) -> None:
        body, note = form.cleaned_data["body"], form.cleaned_data["note"]
        # The admin lets only signed-in staff this far; the check tells the type checker so.
        user = request.user if request.user.is_authenticated else None
        if change:
            version, created = services.procedure_edit(
                procedure=obj, title=obj.title, body=body, user=user, note=note
            )
            if created:
                messages.info(request, f"Saved as version {version.number}.")
        else:
            created_procedure = services.procedure_create(
                title=obj.title, body=body, user=user, note=note
            )
            obj.pk = created_procedure.pk
            obj.latest_version = created_procedure.latest_version


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    list_display = ["procedure", "number", "note", "created_by", "created_at"]
    list_filter = ["procedure"]
    search_fields = ["procedure__title", "body"]
    readonly_fields = ["procedure", "number", "body", "note", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
