//! Note bodies: Markdown rendered to sanitized HTML (with issue references
//! turned into links), and one-line plain-text excerpts.

use std::borrow::Cow;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

use crate::domain::issue_ref::{GitLab, find_ref_spans};

/// The sanitizer, built once: ammonia's default tag allow-list (no
/// `script`, no event or `style` attributes, only safe URL schemes), links
/// with `rel="noopener noreferrer"`, plus disabled checkboxes for task lists.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer"))
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "");
    builder
});

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Render a note's Markdown to sanitized HTML.
///
/// Plain-text issue references in text (not inside code spans, code blocks
/// or existing links) become links `<a href="{url}">{group/project#N}</a>`.
/// The output is sanitized with ammonia (no script, no event attributes, no
/// `javascript:` URLs, no style attributes; links get
/// `rel="noopener noreferrer"`). Tables, strikethrough and task lists are
/// enabled. Raw HTML in the Markdown is passed to ammonia, which strips
/// what is unsafe.
pub fn render(body: &str, gitlab: &GitLab) -> String {
    let mut events: Vec<Event<'_>> = Vec::new();
    // Markdown links and images (whose text is alt text).
    let mut link_depth = 0usize;
    // Raw inline HTML `<a>` or `<code>` elements.
    let mut raw_depth = 0usize;
    let mut in_code_block = false;
    for event in TextMergeStream::new(Parser::new_ext(body, options())) {
        if let Event::Text(text) = &event
            && link_depth == 0
            && raw_depth == 0
            && !in_code_block
            && let Some(linked) = linked_text(text, gitlab)
        {
            events.extend(linked);
            continue;
        }
        match &event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => link_depth += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => {
                link_depth = link_depth.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::InlineHtml(html) => match raw_element(html) {
                Some(RawTag::Open) => raw_depth += 1,
                Some(RawTag::Close) => raw_depth = raw_depth.saturating_sub(1),
                None => {}
            },
            _ => {}
        }
        events.push(event);
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// `text` as events with each issue reference in it replaced by a link to
/// the issue, everything around the references kept as is; `None` when
/// `text` holds no reference.
fn linked_text(text: &str, gitlab: &GitLab) -> Option<Vec<Event<'static>>> {
    let spans = find_ref_spans(text, gitlab);
    if spans.is_empty() {
        return None;
    }
    let mut events = Vec::with_capacity(spans.len() * 4 + 1);
    let mut done = 0;
    for (range, issue) in spans {
        if range.start > done {
            events.push(Event::Text(CowStr::from(
                text[done..range.start].to_string(),
            )));
        }
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: CowStr::from(issue.url(gitlab)),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        events.push(Event::Text(CowStr::from(issue.to_string())));
        events.push(Event::End(TagEnd::Link));
        done = range.end;
    }
    if done < text.len() {
        events.push(Event::Text(CowStr::from(text[done..].to_string())));
    }
    Some(events)
}

enum RawTag {
    Open,
    Close,
}

/// Whether a piece of raw inline HTML opens or closes an `<a>` or `<code>`
/// element, inside which references must not be linked.
fn raw_element(html: &str) -> Option<RawTag> {
    let tag = html.trim().strip_prefix('<')?;
    let (kind, name) = match tag.strip_prefix('/') {
        Some(rest) => (RawTag::Close, rest),
        None => (RawTag::Open, tag),
    };
    let end = name
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(name.len());
    let name = &name[..end];
    if name.eq_ignore_ascii_case("a") || name.eq_ignore_ascii_case("code") {
        if matches!(kind, RawTag::Open) && tag.trim_end().ends_with("/>") {
            return None;
        }
        Some(kind)
    } else {
        None
    }
}

/// A one-line plain-text excerpt of a note: Markdown syntax removed (only
/// the text is kept, raw HTML dropped), whitespace collapsed, then
/// [`shorten`]ed to `max_chars`.
pub fn excerpt(body: &str, max_chars: usize) -> String {
    let mut plain = String::new();
    for event in Parser::new_ext(body, options()) {
        match event {
            Event::Text(text) | Event::Code(text) => plain.push_str(&text),
            Event::SoftBreak | Event::HardBreak | Event::Rule => plain.push(' '),
            Event::End(end) if !is_inline(end) => plain.push(' '),
            _ => {}
        }
    }
    let collapsed = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    shorten(&collapsed, max_chars).into_owned()
}

/// `text` in at most `max_chars` characters (char-safe): whole when it
/// fits, else cut after a word, ending with "…" (which counts). A word
/// longer than half the room (a URL) is cut where the room ends.
pub fn shorten(text: &str, max_chars: usize) -> Cow<'_, str> {
    if text.char_indices().nth(max_chars).is_none() {
        return Cow::Borrowed(text);
    }
    // Where the room before the "…" ends, and whether a word ends there.
    let Some((room, _)) = max_chars
        .checked_sub(1)
        .and_then(|chars| text.char_indices().nth(chars))
    else {
        return Cow::Borrowed("");
    };
    let at_word_end = text[room..].starts_with(char::is_whitespace);
    let mut kept = &text[..room];
    if !at_word_end
        && let Some(space) = kept.rfind(char::is_whitespace)
        && space >= kept.len() / 2
    {
        kept = &kept[..space];
    }
    let kept = kept
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '—'));
    Cow::Owned(format!("{kept}…"))
}

/// Whether an element is inline (its end must not separate words in an
/// excerpt); every other element is a block, or a table cell.
fn is_inline(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gitlab() -> GitLab {
        GitLab::new("https://gitlab.com", None).expect("valid base URL")
    }

    const ISSUE_URL: &str = "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234";
    const ISSUE_LINK: &str = "<a href=\"https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234\" \
                              rel=\"noopener noreferrer\">gitlab-com/gl-infra/production#1234</a>";

    // ---- render ----

    #[test]
    fn a_bare_issue_url_in_a_note_renders_as_a_short_link() {
        let html = render(&format!("Paged for {ISSUE_URL}#note_5, ack."), &gitlab());
        assert_eq!(html, format!("<p>Paged for {ISSUE_LINK}, ack.</p>\n"));
    }

    #[test]
    fn a_reference_renders_as_a_link_and_keeps_the_text_around_it() {
        let html = render(
            "Related:  (gitlab-com/gl-infra/production#1234)\nand gitlab-org/gitlab#99.",
            &gitlab(),
        );
        assert!(
            html.contains(&format!("Related:  ({ISSUE_LINK})\nand ")),
            "{html}"
        );
        assert!(
            html.contains(
                "<a href=\"https://gitlab.com/gitlab-org/gitlab/-/issues/99\" \
                 rel=\"noopener noreferrer\">gitlab-org/gitlab#99</a>."
            ),
            "{html}"
        );
    }

    #[test]
    fn a_url_with_underscores_inside_emphasis_is_linked() {
        let html = render(
            "*see https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234#note_5*",
            &gitlab(),
        );
        assert_eq!(html, format!("<p><em>see {ISSUE_LINK}</em></p>\n"));
    }

    #[test]
    fn a_bare_number_is_linked_only_with_a_default_project() {
        assert!(!render("see #1234", &gitlab()).contains("<a"));
        let with_default =
            GitLab::new("https://gitlab.com", Some("gitlab-com/gl-infra/production"))
                .expect("valid config");
        assert_eq!(
            render("see #1234", &with_default),
            format!("<p>see {ISSUE_LINK}</p>\n")
        );
    }

    #[test]
    fn a_reference_inside_a_code_span_is_not_linked() {
        let html = render("run `gitlab-org/gitlab#99` now", &gitlab());
        assert_eq!(html, "<p>run <code>gitlab-org/gitlab#99</code> now</p>\n");
    }

    #[test]
    fn a_reference_inside_a_code_block_is_not_linked() {
        let html = render(
            &format!("```\n{ISSUE_URL}\n```\n\n    gitlab-org/gitlab#99\n"),
            &gitlab(),
        );
        assert!(!html.contains("<a"), "{html}");
        assert!(html.contains(ISSUE_URL), "{html}");
        assert!(html.contains("gitlab-org/gitlab#99"), "{html}");
    }

    #[test]
    fn a_reference_inside_an_existing_link_is_not_linked_again() {
        let html = render(
            "[gitlab-org/gitlab#99](https://example.com/x) and \
             <a href=\"https://example.com/y\">gitlab-org/gitlab#98</a> and \
             <https://gitlab.com/gitlab-org/gitlab/-/issues/97>",
            &gitlab(),
        );
        assert_eq!(html.matches("<a ").count(), 3, "{html}");
        assert!(!html.contains("/-/issues/99"), "{html}");
        assert!(!html.contains("/-/issues/98"), "{html}");
    }

    #[test]
    fn a_reference_in_image_alt_text_is_not_linked() {
        let html = render(
            "![gitlab-org/gitlab#99](https://example.com/a.png)",
            &gitlab(),
        );
        assert!(!html.contains("<a"), "{html}");
        assert!(html.contains("alt=\"gitlab-org/gitlab#99\""), "{html}");
    }

    #[test]
    fn a_script_tag_is_removed() {
        let html = render(
            "hello <script>alert(1)</script>\n\n<script>alert(2)</script>",
            &gitlab(),
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert"), "{html}");
        assert!(html.contains("hello"), "{html}");
    }

    #[test]
    fn a_javascript_link_has_no_javascript_href() {
        let html = render(
            "[x](javascript:alert(1)) <a href=\"JavaScript:alert(2)\">y</a>",
            &gitlab(),
        );
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
    }

    #[test]
    fn an_event_attribute_is_removed() {
        let html = render("<img src=x onerror=alert(1)>", &gitlab());
        assert!(!html.contains("onerror"), "{html}");
        assert!(html.contains("<img src=\"x\">"), "{html}");
    }

    #[test]
    fn a_style_attribute_is_removed() {
        let html = render(
            "<p style=\"position:fixed\">x</p>\n\n| a | b |\n|:--|--:|\n| 1 | 2 |",
            &gitlab(),
        );
        assert!(!html.contains("style"), "{html}");
    }

    #[test]
    fn bold_renders_as_strong() {
        assert_eq!(
            render("**bold**", &gitlab()),
            "<p><strong>bold</strong></p>\n"
        );
    }

    #[test]
    fn tables_and_strikethrough_render() {
        let html = render("~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", &gitlab());
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<td>2</td>"), "{html}");
    }

    #[test]
    fn task_lists_render_as_disabled_checkboxes() {
        let html = render("- [x] done\n- [ ] todo\n", &gitlab());
        // Attribute order is not guaranteed, so look at each tag whole.
        let inputs: Vec<&str> = html
            .split("<input")
            .skip(1)
            .filter_map(|rest| rest.split('>').next())
            .collect();
        assert_eq!(inputs.len(), 2, "{html}");
        for input in &inputs {
            assert!(input.contains("type=\"checkbox\""), "{html}");
            assert!(input.contains("disabled=\"\""), "{html}");
        }
        assert!(inputs[0].contains("checked"), "{html}");
        assert!(!inputs[1].contains("checked"), "{html}");
        let raw = render("<input type=\"text\" name=\"q\" value=\"x\">", &gitlab());
        assert!(!raw.contains("text"), "{raw}");
        assert!(!raw.contains("name"), "{raw}");
    }

    #[test]
    fn rendering_empty_text_gives_empty_html() {
        assert_eq!(render("", &gitlab()), "");
    }

    // ---- excerpt ----

    #[test]
    fn an_excerpt_strips_markdown_and_collapses_whitespace() {
        let body = "# Incident\n\n**DB** is _slow_, see `pg_stat`\n\n- [link](https://x.y)\n- two\n\n<b>raw</b>";
        assert_eq!(
            excerpt(body, 200),
            "Incident DB is slow, see pg_stat link two raw"
        );
    }

    #[test]
    fn an_excerpt_is_cut_with_an_ellipsis() {
        assert_eq!(excerpt("**one** two three", 9), "one two…");
        assert_eq!(excerpt("one two three", 13), "one two three");
        assert_eq!(excerpt("one two three", 0), "");
        assert_eq!(excerpt("one two three", 1), "…");
    }

    #[test]
    fn an_excerpt_is_cut_after_a_word_not_inside_one() {
        let text = "Rolled back the last deploy; watching the error rate for another hour.";
        assert_eq!(shorten(text, 30), "Rolled back the last deploy…");
        assert_eq!(
            shorten(text, 33),
            "Rolled back the last deploy…",
            "no dangling punctuation"
        );
        assert_eq!(shorten(text, 40), "Rolled back the last deploy; watching…");
        assert_eq!(
            shorten("one two three", 8),
            "one two…",
            "the cut falls where a word ends"
        );
        assert!(matches!(shorten(text, 200), Cow::Borrowed(t) if t == text));
        for room in 1..text.len() {
            assert!(shorten(text, room).chars().count() <= room, "{room}");
        }
    }

    #[test]
    fn a_word_longer_than_half_the_room_is_cut_where_the_room_ends() {
        let url = "see https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234";
        assert_eq!(shorten(url, 20), "see https://gitlab.…");
    }

    #[test]
    fn an_excerpt_cuts_on_characters_not_bytes() {
        assert_eq!(excerpt("żółć ąę 🚒🚒🚒", 7), "żółć…");
        assert_eq!(excerpt("żółćżółćżółć", 7), "żółćżó…");
    }

    #[test]
    fn a_table_cells_words_stay_apart_in_an_excerpt() {
        assert_eq!(excerpt("| a | b |\n|---|---|\n| 1 | 2 |", 50), "a b 1 2");
    }
}
