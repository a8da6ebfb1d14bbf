"""Rendering a procedure with values: substitution, escaping, sanitising and step marks."""

from __future__ import annotations

from procedures.documents import SECRET_MASK, parse_document
from procedures.rendering import StepMark, render_body, render_inline, render_markdown
from tests.conftest import TLS_BODY

VALUES = {"server": "web-042", "port": "8443", "environment": "production"}


def test_values_are_substituted_in_headings_text_and_code():
    html = render_body(TLS_BODY, VALUES)

    assert 'Rotate TLS certificate on <span class="var" title="server">web-042</span></h1>' in html
    assert 'on port <span class="var" title="port">8443</span>' in html
    assert '$ lbctl drain <span class="var" title="server">web-042</span>' in html
    assert "{{ server }}" not in html


def test_a_value_containing_html_is_shown_escaped():
    html = render_body(TLS_BODY, {"server": "<b>x</b>"})

    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<b>x</b>" not in html


def test_a_value_cannot_become_markdown():
    html = render_body("Host: {{ server }}\n", {"server": "**bold** [link](https://evil.example)"})

    assert "<strong>" not in html
    assert "<a " not in html
    assert "**bold** [link](https://evil.example)" in html


def test_a_missing_value_shows_a_visible_placeholder():
    html = render_body(TLS_BODY, {"server": "web-042"})

    assert '<span class="var var-missing" title="port has no value">{{ port }}</span>' in html


def test_an_empty_value_counts_as_missing():
    html = render_body("Host {{ server }}\n", {"server": ""})

    assert '<span class="var var-missing" title="server has no value">{{ server }}</span>' in html


def test_a_secret_renders_as_the_mask_never_the_clear_value():
    html = render_body(TLS_BODY, {**VALUES, "admin_password": "hunter2"})

    assert f'<span class="var var-secret" title="admin_password">{SECRET_MASK}</span>' in html
    assert "hunter2" not in html


def test_a_secret_is_masked_inside_inline_code_code_blocks_and_raw_html():
    body = (
        "---\nvariables:\n  token: {type: secret}\n---\n"
        "Inline `curl -H 'X-Token: {{ token }}'`\n\n"
        "```sh\nexport TOKEN={{ token }}\n```\n\n"
        "    indented {{ token }}\n\n"
        "<div>{{ token }}</div>\n\n"
        '<a href="https://vault.example/{{ token }}" title="{{ token }}">vault</a>\n'
    )

    html = render_body(body, {"token": "s3cr3t-value"})

    assert "s3cr3t-value" not in html
    assert html.count(SECRET_MASK) == 6


def test_script_tags_are_removed_with_their_content():
    html = render_body("# T\n\n<script>alert('owned')</script>\n\ntext <script>x()</script>\n", {})

    assert "<script" not in html
    assert "alert" not in html
    assert "x()" not in html


def test_event_handler_attributes_are_removed():
    body = (
        '<img src="https://img.example/a.png" onerror="alert(1)">\n\n'
        '<a href="https://example.com" onclick="steal()">c</a>\n\n'
        '<div onmouseover="x()">hover</div>\n'
    )

    html = render_body(body, {})

    assert "onerror" not in html
    assert "onclick" not in html
    assert "onmouseover" not in html
    assert 'src="https://img.example/a.png"' in html
    assert 'href="https://example.com"' in html


def test_javascript_links_are_removed():
    body = (
        '<a href="javascript:alert(1)">raw</a> <a href="JaVaScRiPt:alert(2)">mixed case</a>\n\n'
        "[md](javascript:alert(3))\n"
    )

    html = render_body(body, {})

    assert "href" not in html
    assert ">raw</a>" in html
    assert ">mixed case</a>" in html
    # Markdown refuses the javascript: link outright and leaves the source as plain text.
    assert "<p>[md](javascript:alert(3))</p>" in html


def test_a_javascript_url_coming_from_a_value_is_removed():
    html = render_body('<a href="{{ url }}">open</a>\n', {"url": "javascript:alert(1)"})

    assert "javascript:" not in html
    assert "href" not in html
    assert ">open</a>" in html


def test_a_value_cannot_break_out_of_a_raw_html_attribute():
    html = render_body(
        '<a href="https://example.com/{{ path }}">open</a>\n', {"path": 'x" onclick="alert(1)'}
    )

    assert 'href="https://example.com/x&quot; onclick=&quot;alert(1)"' in html
    assert "<a onclick" not in html
    assert ' onclick="' not in html


def test_other_dangerous_url_schemes_from_a_value_are_removed():
    html = render_body(
        '<a href="{{ url }}">open</a>\n', {"url": "data:text/html,<script>alert(1)</script>"}
    )

    assert "href" not in html
    assert "<script" not in html


def test_a_value_is_substituted_into_a_raw_html_link():
    html = render_body('<a href="https://grafana.example/d/{{ server }}">dash</a>\n', VALUES)

    assert 'href="https://grafana.example/d/web-042"' in html


def test_a_value_is_substituted_into_a_markdown_link_target():
    html = render_body("[Dashboard](https://grafana.example/d/{{server}})\n", VALUES)

    assert 'href="https://grafana.example/d/web-042"' in html


def test_a_value_in_a_markdown_link_target_is_url_encoded():
    # CommonMark allows spaces in a link target only between angle brackets.
    body = "[Dashboard](<https://grafana.example/d/{{ server }}>)\n"

    html = render_body(body, {"server": "web 1"})

    assert 'href="https://grafana.example/d/web%201"' in html


def test_a_javascript_url_from_a_value_in_a_markdown_link_is_removed():
    html = render_body("[open]({{url}})\n", {"url": "javascript:alert(1)"})

    assert "javascript:" not in html
    assert "href" not in html


def test_a_missing_value_in_a_markdown_link_target_leaves_the_placeholder():
    html = render_body("[Dashboard](https://grafana.example/d/{{server}})\n", {})

    assert "web" not in html
    assert "%7B%7Bserver%7D%7D" in html


def test_a_secret_in_a_markdown_link_target_never_shows_in_clear():
    body = (
        "---\nvariables:\n  token: {type: secret}\n---\n[Vault](https://vault.example/{{token}})\n"
    )

    html = render_body(body, {"token": "s3cr3t-value"})

    assert "s3cr3t-value" not in html


def test_a_value_is_substituted_into_a_markdown_link_title():
    html = render_body('[Dashboard](https://grafana.example "Graphs of {{ server }}")\n', VALUES)

    assert 'title="Graphs of web-042"' in html


def test_links_are_rendered_safe_for_a_new_context():
    html = render_body("[Docs](https://docs.example)\n", {})

    assert 'rel="noopener noreferrer nofollow"' in html


def test_steps_carry_their_number_and_an_anchor():
    html = render_body(TLS_BODY, VALUES)

    for number in (1, 2, 3):
        assert f'<li class="step" data-step="{number}" id="step-{number}">' in html
    assert 'data-step="4"' not in html


def test_nested_and_bullet_items_are_not_marked_as_steps():
    html = render_body("1. one\n   - sub\n   1. nested\n2. two\n\n- bullet\n", {})

    assert html.count("data-step=") == 2
    assert "<li>sub</li>" in html
    assert "<li>nested</li>" in html
    assert "<li>bullet</li>" in html


def test_a_second_ordered_list_continues_the_numbering_with_start():
    html = render_body("1. a\n2. b\n\nBetween.\n\n1. c\n2. d\n", {})

    assert "<ol>\n" in html
    assert '<ol start="3">' in html
    assert 'data-step="3" id="step-3">c</li>' in html


def test_a_first_list_starting_at_another_number_is_shown_from_one():
    html = render_body("4. a\n5. b\n", {})

    assert "start=" not in html
    assert 'data-step="1" id="step-1">a</li>' in html


def test_step_marks_add_their_class_and_a_flag():
    document = parse_document(TLS_BODY)
    marks = {1: StepMark("is-done", "✓ 09:14"), 2: StepMark("is-current", "Current step")}

    html = render_markdown(document, VALUES, step_marks=marks)

    assert '<li class="step is-done has-flag" data-step="1" id="step-1">' in html
    assert '<span class="step-flag">✓ 09:14</span>' in html
    assert '<li class="step is-current has-flag" data-step="2" id="step-2">' in html
    assert '<span class="step-flag">Current step</span>' in html
    assert '<li class="step" data-step="3" id="step-3">' in html
    assert html.count("step-flag") == 2


def test_a_step_mark_label_is_escaped():
    document = parse_document("1. a\n")

    html = render_markdown(document, {}, step_marks={1: StepMark("is-done", "<img src=x>")})

    assert "<img" not in html
    assert "&lt;img src=x&gt;" in html


def test_classes_outside_the_allowed_set_are_removed():
    html = render_body('<span class="evil var">x</span><div class="overlay">y</div>\n', {})

    assert "evil" not in html
    assert "overlay" not in html


def test_render_inline_renders_a_step_description_with_values():
    document = parse_document(TLS_BODY)

    html = render_inline(document, document.steps[1].description, {"admin_password": "hunter2"})

    assert "hunter2" not in html
    assert SECRET_MASK in html
    assert '<span class="var var-missing" title="port has no value">{{ port }}</span>' in html
    assert "<p>" not in html


def test_a_value_is_substituted_into_an_image_source():
    html = render_body("![Graph](https://img.example/{{server}}.png)\n", VALUES)

    assert 'src="https://img.example/web-042.png"' in html
    assert 'alt="Graph"' in html


def test_a_secret_never_reaches_an_image_source_or_alt_text():
    body = (
        "---\nvariables:\n  token: {type: secret}\n---\n![{{ token }}](https://x/{{token}}.png)\n"
    )

    html = render_body(body, {"token": "s3cr3t-value"})

    assert "s3cr3t-value" not in html


def test_rendering_with_new_values_never_shows_the_previous_ones():
    render_body(TLS_BODY, {"server": "first-host"})

    html = render_body(TLS_BODY, {"server": "second-host"})

    assert "second-host" in html
    assert "first-host" not in html


def test_step_marks_of_one_render_do_not_leak_into_the_next():
    document = parse_document(TLS_BODY)
    render_markdown(document, VALUES, step_marks={1: StepMark("is-done", "✓ 09:14")})

    html = render_markdown(document, VALUES)

    assert "is-done" not in html
    assert "step-flag" not in html
    assert '<li class="step" data-step="1" id="step-1">' in html
