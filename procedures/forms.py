from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, cast

from django import forms
from django.core.exceptions import ValidationError

from procedures.documents import SECRET_MASK, Document, Variable
from procedures.variables import clean_values

FIELD_PREFIX = "var-"


class _FieldOptions(TypedDict):
    """What every variable's field is given, whatever its type."""

    label: str
    required: bool
    help_text: str


class ProcedureForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="Leave empty to use the document's first # heading.",
    )
    body = forms.CharField(
        strip=False,
        widget=forms.Textarea(attrs={"class": "mono", "spellcheck": "false", "rows": 24}),
        help_text="Markdown with optional YAML front matter declaring variables.",
    )
    note = forms.CharField(
        max_length=200, required=False, help_text="What changed, in a few words (optional)."
    )


class VariablesForm(forms.Form):
    """One field per variable of a version; values are checked by ``clean_values``.

    Field names carry a prefix so a variable called ``title`` cannot clash with other fields.
    """

    def __init__(
        self,
        document: Document,
        data: Mapping[str, Any] | None = None,
        *,
        initial_values: Mapping[str, str] | None = None,
        read_only: bool = False,
        form_id: str = "",
    ) -> None:
        super().__init__(data=data)
        self.document = document
        initial_values = initial_values or {}
        for variable in document.variables:
            initial = initial_values.get(variable.name, variable.default or "")
            field = self._field(variable, initial, read_only)
            if form_id:
                # The fields sit in the left pane but submit with the form in the right pane.
                field.widget.attrs["form"] = form_id
            self.fields[FIELD_PREFIX + variable.name] = field

    @staticmethod
    def _field(variable: Variable, initial: str, read_only: bool) -> forms.Field:
        attrs: dict[str, Any] = {"autocomplete": "off", "spellcheck": "false"}
        if read_only:
            attrs["readonly"] = True
        common: _FieldOptions = {
            "label": variable.label,
            "required": False,
            "help_text": variable.help,
        }
        if variable.type == "choice":
            choices = [(c, c) for c in variable.choices]
            if not variable.default:
                choices.insert(0, ("", "Choose…"))
            if read_only:
                attrs["disabled"] = True
            return forms.ChoiceField(
                choices=choices, initial=initial, widget=forms.Select(attrs=attrs), **common
            )
        if variable.type == "boolean":
            return forms.ChoiceField(
                choices=[("true", "Yes"), ("false", "No")],
                initial=initial or "false",
                widget=forms.Select(attrs={**attrs, "disabled": True} if read_only else attrs),
                **common,
            )
        if variable.type == "secret":
            attrs["placeholder"] = "Stored masked" if initial == SECRET_MASK else "Enter secret"
            attrs["autocomplete"] = "new-password"
            # The stored value is only ever the mask; PasswordInput never renders it back.
            return forms.CharField(
                initial=initial,
                widget=forms.PasswordInput(attrs=attrs, render_value=False),
                **common,
            )
        if variable.type == "number":
            attrs["inputmode"] = "decimal"
        return forms.CharField(initial=initial, widget=forms.TextInput(attrs=attrs), **common)

    def raw_values(self) -> dict[str, str]:
        """What the user typed (or the initial values when unbound), by variable name."""
        values: dict[str, str] = {}
        for variable in self.document.variables:
            name = FIELD_PREFIX + variable.name
            if self.is_bound:
                values[variable.name] = str(self.data.get(name, "") or "").strip()
            else:
                initial = self.fields[name].initial
                values[variable.name] = "" if initial is None else str(initial)
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            self.values = clean_values(self.document, self.raw_values())
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(
                    FIELD_PREFIX + name if FIELD_PREFIX + name in self.fields else None, messages
                )
        return cleaned

    def rows(self) -> list[tuple[Variable, forms.BoundField]]:
        return [(v, self[FIELD_PREFIX + v.name]) for v in self.document.variables]


class VersionCompareForm(forms.Form):
    """Two versions of one procedure to compare (a GET form, so it works without JavaScript)."""

    old = forms.TypedChoiceField(label="From version", coerce=int)
    new = forms.TypedChoiceField(label="To version", coerce=int)

    def __init__(self, data: Mapping[str, Any] | None, *, numbers: list[int]) -> None:
        super().__init__(data=data)
        choices = [(n, f"Version {n}") for n in numbers]
        for name in ("old", "new"):
            cast(forms.TypedChoiceField, self.fields[name]).choices = choices
            self.fields[name].error_messages["invalid_choice"] = (
                "Choose a version from the list; %(value)s is not one of them."
            )
        if len(numbers) >= 2:
            # By default: what the latest version changed.
            self.fields["old"].initial, self.fields["new"].initial = numbers[1], numbers[0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("old") is not None and cleaned.get("old") == cleaned.get("new"):
            raise ValidationError("Choose two different versions.")
        return cleaned
