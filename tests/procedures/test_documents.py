"""Parsing procedure bodies: front matter, variables, steps and titles (SPEC section 3)."""

from __future__ import annotations

import pytest

from procedures.documents import DocumentError, Variable, parse_document
from tests.conftest import TLS_BODY


def front_matter(variables_yaml: str, markdown: str = "# Title\n") -> str:
    return f"---\nvariables:\n{variables_yaml}---\n{markdown}"


def test_front_matter_is_split_from_the_markdown():
    document = parse_document(TLS_BODY)

    assert document.markdown.startswith("# Rotate TLS certificate on {{ server }}")
    assert "variables:" not in document.markdown
    assert document.markdown_line_offset == 7
    assert set(document.meta) == {"variables"}


def test_a_body_without_front_matter_is_all_markdown():
    document = parse_document("# Restart nginx\n\n1. Run `systemctl restart nginx`.\n")

    assert document.markdown.startswith("# Restart nginx")
    assert document.markdown_line_offset == 0
    assert document.variables == ()


def test_empty_front_matter_is_allowed():
    document = parse_document("---\n---\n# Empty\n")

    assert document.title == "Empty"
    assert document.variables == ()


def test_tls_example_declares_its_variables_in_order_with_their_settings():
    document = parse_document(TLS_BODY)

    assert [v.name for v in document.variables] == [
        "server",
        "port",
        "environment",
        "admin_password",
    ]
    assert document.variable("server") == Variable(
        name="server",
        label="Server",
        type="string",
        default=None,
        required=True,
        help="Host name as in the inventory.",
    )
    assert document.variable("port") == Variable(
        name="port", label="Port", type="number", default="443"
    )
    assert document.variable("environment") == Variable(
        name="environment",
        label="Environment",
        type="choice",
        default="staging",
        choices=("staging", "production"),
    )
    assert document.variable("admin_password") == Variable(
        name="admin_password", label="Admin password", type="secret"
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("{}", {"type": "string", "default": None, "required": False}),
        ("{type: string, default: web-1}", {"type": "string", "default": "web-1"}),
        ("{type: number, default: 8080}", {"type": "number", "default": "8080"}),
        ("{type: number, default: 2.5}", {"type": "number", "default": "2.5"}),
        ("{type: boolean, default: true}", {"type": "boolean", "default": "true"}),
        ("{type: boolean, default: false}", {"type": "boolean", "default": "false"}),
        (
            "{type: choice, choices: [a, b], default: b}",
            {"type": "choice", "choices": ("a", "b"), "default": "b"},
        ),
        ("{type: choice, choices: [1, 2]}", {"type": "choice", "choices": ("1", "2")}),
        ("{type: secret}", {"type": "secret", "default": None}),
        ("{required: true}", {"required": True}),
        ("{required: false}", {"required": False}),
        ("{label: The host}", {"label": "The host"}),
        ("{help: As in the inventory}", {"help": "As in the inventory"}),
    ],
)
def test_every_variable_type_and_key_is_understood(spec, expected):
    document = parse_document(front_matter(f"  host_name: {spec}\n"))

    variable = document.variable("host_name")
    assert variable is not None
    for key, value in expected.items():
        assert getattr(variable, key) == value


def test_a_variable_without_settings_is_an_optional_string_labelled_from_its_name():
    document = parse_document(front_matter("  db_cluster:\n"))

    variable = document.variable("db_cluster")
    assert variable == Variable(name="db_cluster", label="Db cluster")
    assert variable.declared


def test_variable_as_dict_lists_every_setting():
    variable = parse_document(TLS_BODY).variable("environment")

    assert variable.as_dict() == {
        "name": "environment",
        "label": "Environment",
        "type": "choice",
        "default": "staging",
        "required": False,
        "choices": ["staging", "production"],
        "help": "",
    }


def test_an_undeclared_placeholder_becomes_a_required_string():
    document = parse_document("# Fail over {{ cluster }}\n\n1. Promote {{replica_host}}.\n")

    assert [v.name for v in document.variables] == ["cluster", "replica_host"]
    cluster = document.variable("cluster")
    assert cluster.type == "string"
    assert cluster.required
    assert not cluster.declared
    assert document.variable("replica_host").label == "Replica host"


def test_a_declared_variable_is_not_duplicated_by_its_placeholders():
    document = parse_document(TLS_BODY)

    assert len(document.variables) == 4
    assert all(v.declared for v in document.variables)


def test_steps_are_the_top_level_ordered_list_items_in_order():
    document = parse_document(TLS_BODY)

    assert [(s.number, s.description) for s in document.steps] == [
        (1, "Drain {{ server }} from the load balancer."),
        (2, "Install the new certificate on port {{ port }} with password {{ admin_password }}."),
        (3, "Return {{ server }} to the pool."),
    ]


def test_nested_lists_and_bullet_lists_are_not_steps():
    body = (
        "# Deploy\n\n"
        "- Before you start, tell the team.\n"
        "- Open the dashboard.\n\n"
        "1. Stop the workers.\n"
        "   1. nested ordered item\n"
        "   - nested bullet\n"
        "2. Deploy.\n\n"
        "- A closing bullet\n"
        "  1. ordered inside a bullet\n"
    )

    steps = parse_document(body).steps

    assert [(s.number, s.description) for s in steps] == [(1, "Stop the workers."), (2, "Deploy.")]


def test_steps_are_numbered_one_to_n_across_several_ordered_lists():
    body = "# Failover\n\n1. Freeze writes.\n2. Check lag.\n\nThen:\n\n5. Promote.\n6. Unfreeze.\n"

    steps = parse_document(body).steps

    assert [(s.number, s.description) for s in steps] == [
        (1, "Freeze writes."),
        (2, "Check lag."),
        (3, "Promote."),
        (4, "Unfreeze."),
    ]


def test_a_multi_line_step_is_summarised_by_its_first_paragraph_on_one_line():
    body = "1. Drain the node\n   from the pool.\n\n   More detail here.\n"

    assert parse_document(body).steps[0].description == "Drain the node from the pool."


def test_a_document_without_ordered_lists_has_no_steps():
    assert parse_document("# Notes\n\n- only\n- bullets\n").steps == ()


def test_title_comes_from_front_matter_title():
    body = "---\ntitle: Rotate certificates\n---\n# Heading that loses\n"

    assert parse_document(body).title == "Rotate certificates"


def test_title_falls_back_to_the_first_level_one_heading():
    body = "Intro text.\n\n## Not this one\n\n# Restart nginx\n\n# Nor this\n"

    assert parse_document(body).title == "Restart nginx"


def test_a_body_without_title_or_heading_has_an_empty_title():
    assert parse_document("## Only a subheading\n\n1. Step.\n").title == ""


def test_front_matter_description_is_kept():
    body = "---\ndescription: Quarterly rotation\n---\n# T\n"

    assert parse_document(body).description == "Quarterly rotation"


@pytest.mark.parametrize(
    ("body", "line"),
    [
        # line 4 indents a key under a scalar
        ("---\nvariables:\n x: 1\n  y: 2\n---\n# T\n", 4),
        # line 2 starts with a tab
        ("---\n\tvariables: {}\n---\n# T\n", 2),
        # line 5: a second key after an unclosed flow mapping
        ("---\nvariables:\n  a: {}\n  b: {type: number\n  c: {}\n---\n# T\n", 5),
    ],
)
def test_malformed_yaml_names_the_line_of_the_body(body, line):
    with pytest.raises(DocumentError, match=rf"^Front matter line {line}: "):
        parse_document(body)


def test_front_matter_that_is_not_a_mapping_is_rejected():
    with pytest.raises(DocumentError, match="Front matter line 2"):
        parse_document("---\n- a\n- b\n---\n# T\n")


def test_an_unknown_front_matter_setting_is_rejected_by_name():
    with pytest.raises(DocumentError, match="unknown setting 'vars'"):
        parse_document("---\nvars: {}\n---\n# T\n")


def test_variables_that_are_not_a_mapping_are_rejected():
    with pytest.raises(DocumentError, match="'variables' must map each name"):
        parse_document("---\nvariables: [server, port]\n---\n# T\n")


def test_unclosed_front_matter_is_an_error():
    with pytest.raises(DocumentError, match="no closing '---'"):
        parse_document("---\nvariables:\n  server: {}\n# Title\n\n1. Step\n")


def test_a_thematic_break_later_in_the_body_is_not_front_matter():
    document = parse_document("# Title\n\n---\n\ntext\n")

    assert document.markdown_line_offset == 0
    assert document.title == "Title"


@pytest.mark.parametrize(
    ("variables_yaml", "message"),
    [
        ("  server: {type: hostname}\n", r"Variable 'server': unknown type 'hostname'"),
        ("  server: {lable: Server}\n", r"Variable 'server': unknown key 'lable'"),
        ("  env: {type: choice}\n", r"Variable 'env': a choice needs a non-empty list"),
        ("  env: {type: choice, choices: []}\n", r"Variable 'env': a choice needs a non-empty"),
        ("  env: {type: choice, choices: [a, a]}\n", r"Variable 'env': choices repeat a value"),
        (
            "  env: {type: choice, choices: [staging, production], default: dev}\n",
            r"Variable 'env': default 'dev' is not one of the choices",
        ),
        ("  env: {choices: [a, b]}\n", r"Variable 'env': choices only apply to type choice"),
        ("  token: {type: secret, default: hunter2}\n", r"Variable 'token': a secret cannot have"),
        ("  port: {type: number, default: many}\n", r"Variable 'port': default 'many' is not a"),
        ("  dry_run: {type: boolean, default: maybe}\n", r"Variable 'dry_run': default must be"),
        ("  server: {required: sometimes}\n", r"Variable 'server': required must be true or"),
        ("  server: {label: [a, b]}\n", r"Variable 'server': label and help must be text"),
        ("  server: {default: [a, b]}\n", r"Variable 'server': default must be a single value"),
        ("  server: web-1\n", r"Variable 'server': expected a mapping of settings"),
        ("  my-server: {}\n", r"Variable 'my-server': names use letters, digits"),
        ("  1st_server: {}\n", r"Variable '1st_server': names use letters, digits"),
    ],
)
def test_a_bad_variable_declaration_is_rejected_naming_the_variable(variables_yaml, message):
    with pytest.raises(DocumentError, match=message):
        parse_document(front_matter(variables_yaml))


def test_a_secret_default_is_never_echoed_in_the_error():
    with pytest.raises(DocumentError) as excinfo:
        parse_document(front_matter("  token: {type: secret, default: hunter2}\n"))

    assert "hunter2" not in str(excinfo.value)


def test_parsing_is_cached_per_body_text():
    assert parse_document(TLS_BODY) is parse_document(TLS_BODY)


def alias_bomb(levels: int) -> str:
    """YAML whose aliases make each level ten times the one before (a "billion laughs")."""
    lines = ["  l0: &l0 [xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx]"]
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_aliases_cannot_blow_a_short_description_up_into_a_huge_text():
    # Under 500 characters that would expand to an 8 MB description; two more levels are
    # enough to exhaust the memory of the web process that parses the body.
    body = f"---\ndescription:\n{alias_bomb(6)}---\n# T\n"
    assert len(body) < 500

    with pytest.raises(DocumentError):
        parse_document(body)


def test_yaml_aliases_cannot_blow_up_a_title():
    body = f"---\ndescription:\n{alias_bomb(6)}title: *l5\n---\n# T\n"

    with pytest.raises(DocumentError):
        parse_document(body)


def test_yaml_aliases_cannot_blow_up_a_choice():
    levels = ["&l0 [xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx, xxxxxxxxxx]"]
    levels += [f"&l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 6)]
    body = (
        "---\nvariables:\n"
        f"  env: {{type: choice, choices: [{', '.join(levels)}, staging]}}\n---\n# T\n"
    )

    with pytest.raises(DocumentError):
        parse_document(body)
