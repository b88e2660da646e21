"""Just enough HTML form reading for the load clients: every ``<form>`` of a page with its action,
its fields as a browser would send them untouched (hidden inputs and the CSRF token, checked boxes,
the selected option, textareas), each select's options and the submit buttons. Standard library
only (html.parser), so that a form's fields are read from the app's own page, never hard-coded."""

from html.parser import HTMLParser

VALUE_INPUTS = {"text", "hidden", "number", "date", "datetime-local", "time", "email", "tel", "url", "search"}


class Form:
    def __init__(self, attrs: dict):
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.id = attrs.get("id") or ""
        self.fields: list[tuple[str, str]] = []
        self.options: dict[str, list[str]] = {}
        self.buttons: list[tuple[str, str]] = []

    def names(self) -> set[str]:
        return {name for name, _ in self.fields} | set(self.options)

    def first_option(self, name: str, prefer: tuple[str, ...] = ()) -> str:
        """A preferred value when the select offers it, else its first non-empty option."""
        choices = [value for value in self.options.get(name, []) if value]
        for value in prefer:
            if value in choices:
                return value
        if not choices:
            raise LookupError(f"the select {name!r} offers no option")
        return choices[0]

    def data(self, overrides: dict | None = None, *, unset: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """The fields as posted, each name in ``overrides`` replaced (a list for several values, a
        checkbox set with "on"), each name in ``unset`` left out (an unticked box)."""
        overrides = overrides or {}
        sent = [(n, v) for n, v in self.fields if n not in overrides and n not in unset]
        for name, value in overrides.items():
            for one in value if isinstance(value, list) else [value]:
                sent.append((name, str(one)))
        return sent


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_multiple = False
        self.select_chosen: list[str] = []
        self.option_value: str | None = None
        self.option_text = ""
        self.option_selected = False
        self.textarea: str | None = None
        self.textarea_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self.form = Form(attrs)
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.form.fields.append((name, attrs.get("value", "on")))
            elif kind == "submit":
                self.form.buttons.append((name, attrs.get("value", "")))
            elif kind in VALUE_INPUTS or kind == "password":
                self.form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and name:
            self.form.buttons.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select, self.select_multiple, self.select_chosen = name, "multiple" in attrs, []
            self.form.options[name] = []
        elif tag == "option" and self.select:
            self._end_option()
            self.option_value = attrs.get("value")
            self.option_text = ""
            self.option_selected = "selected" in attrs
        elif tag == "textarea" and name:
            self.textarea, self.textarea_text = name, ""

    def _end_option(self):
        if self.option_value is None and not self.option_text:
            return
        value = self.option_value if self.option_value is not None else self.option_text.strip()
        self.form.options[self.select].append(value)
        if self.option_selected:
            self.select_chosen.append(value)
        self.option_value, self.option_text, self.option_selected = None, "", False

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea_text += data
        elif self.select and self.option_value is not None:
            self.option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "option" and self.select:
            self._end_option()
        elif tag == "select" and self.select and self.form is not None:
            self._end_option()
            options = self.form.options[self.select]
            chosen = self.select_chosen or ([] if self.select_multiple or not options else [options[0]])
            self.form.fields.extend((self.select, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            # A browser drops the one newline that follows <textarea>.
            self.form.fields.append((self.textarea, self.textarea_text.removeprefix("\n")))
            self.textarea = None


def forms_of(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_with(html: str, *, action_contains: str = "", field: str = "") -> Form:
    """The page's form whose action contains ``action_contains`` and that has ``field``."""
    for form in forms_of(html):
        if form.method == "post" and action_contains in form.action and (not field or field in form.names()):
            return form
    raise LookupError(f"no POST form with action containing {action_contains!r} and field {field!r}")
