//! `HAPROXY_{n}_BACKEND_HTTP_OPTIONS`: the one marathon-lb template Corral takes, checked line by
//! line. Each line must be one backend directive from a short list; the directives HAProxy 2.1
//! removed are rewritten into their 2.6 form where the meaning is plain (`reqadd`, `rspadd`) and
//! refused with a reason where it is not (the regex rewrites `reqirep`, `rsprep`, ...). A line must
//! also read in HAProxy as written: quotes closed, no dangling `\`, and no `$` in double quotes,
//! where HAProxy would put one of the lb's environment variables (a token, say). Pure.

/// Why a template line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: String,
    pub reason: String,
}

/// Backend directives a template line may start with.
const ALLOWED: &[&str] =
    &["option", "http-request", "http-response", "timeout", "retries", "http-reuse", "compression"];

/// Directives HAProxy 2.1 removed whose old form rewrites into the new one without guessing.
const REWRITTEN: &[(&str, &str)] = &[("reqadd", "http-request add-header"), ("rspadd", "http-response add-header")];

/// Removed directives that took a regex over whole header lines; their meaning depends on the
/// regex, so they are refused with the replacement to write.
const REMOVED: &[(&str, &str)] = &[
    ("reqrep", "http-request replace-header"),
    ("reqirep", "http-request replace-header"),
    ("rsprep", "http-response replace-header"),
    ("rspirep", "http-response replace-header"),
    ("reqdel", "http-request del-header"),
    ("reqidel", "http-request del-header"),
    ("rspdel", "http-response del-header"),
    ("rspidel", "http-response del-header"),
    ("reqdeny", "http-request deny"),
    ("reqideny", "http-request deny"),
    ("reqallow", "http-request allow"),
    ("reqiallow", "http-request allow"),
    ("reqpass", "nothing: drop the line"),
    ("reqipass", "nothing: drop the line"),
    ("reqtarpit", "http-request tarpit"),
    ("reqitarpit", "http-request tarpit"),
    ("rspdeny", "http-response deny"),
    ("rspideny", "http-response deny"),
];

/// The template's lines as backend config lines (without indentation), or the first bad line.
pub fn backend_http_options(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut lines = Vec::new();
    for raw in template.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let refuse = |reason: String| TemplateError { line: line.to_string(), reason };
        if !line.bytes().all(|b| (0x20..0x7f).contains(&b)) || line.contains('#') {
            return Err(refuse("only printable ASCII without comments is accepted".into()));
        }
        let (directive, rest) = line.split_once(' ').map_or((line, ""), |(d, r)| (d, r.trim()));
        if let Some((_, replacement)) = REMOVED.iter().find(|(old, _)| *old == directive) {
            return Err(refuse(format!("{directive} was removed in HAProxy 2.1; write {replacement}")));
        }
        let written = if let Some((_, new)) = REWRITTEN.iter().find(|(old, _)| *old == directive) {
            rewrite_header_add(new, rest)
                .ok_or_else(|| refuse(format!("{directive} takes 'Name:\\ value [if|unless condition]'")))?
        } else if ALLOWED.contains(&directive) {
            line.to_string()
        } else {
            return Err(refuse(format!("{directive} is not accepted here; use one of {}", ALLOWED.join(", "))));
        };
        if !reads_as_written(&written) {
            return Err(refuse(
                "a quote left open, a '\\' at the end, or a '$' in double quotes is not accepted".into(),
            ));
        }
        lines.push(written);
    }
    Ok(lines)
}

/// Whether HAProxy reads `line` as written: every quote closed, every `\` escaping a character, no
/// `$` inside double quotes (HAProxy would put one of the lb's environment variables there).
fn reads_as_written(line: &str) -> bool {
    let mut quote = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => {
                let Some(_escaped) = chars.next() else { return false };
            }
            (Some(_), '$') => return false,
            (None, '\'' | '"') => quote = Some(c),
            _ => {}
        }
    }
    quote.is_none()
}

/// `X-Name:\ some\ value if cond` → `<new> X-Name "some value" if cond`.
fn rewrite_header_add(new: &str, rest: &str) -> Option<String> {
    let (header, condition) = match rest.find(" if ").or_else(|| rest.find(" unless ")) {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let header = header.replace("\\ ", " ");
    let (name, value) = header.split_once(':')?;
    let (name, value) = (name.trim(), value.trim());
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !name_ok || value.contains('"') {
        return None;
    }
    Some(format!("{new} {name} \"{value}\"{condition}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(template: &str, expected: Result<&[&str], &str>) {
        let got = backend_http_options(template);
        match expected {
            Ok(lines) => assert_eq!(got, Ok(lines.iter().map(|l| l.to_string()).collect()), "{template}"),
            Err(reason) => {
                let error = got.expect_err(template);
                assert!(error.reason.contains(reason), "{template}: {}", error.reason);
            }
        }
    }

    #[test]
    fn templates_are_checked_line_by_line() {
        // marathon-lb's default for HAProxy 1.x, rewritten.
        check(
            "  option forwardfor\n  reqadd X-Forwarded-Proto:\\ https if { ssl_fc }\n",
            Ok(&["option forwardfor", "http-request add-header X-Forwarded-Proto \"https\" if { ssl_fc }"]),
        );
        check(
            "rspadd Strict-Transport-Security:\\ max-age=15768000",
            Ok(&["http-response add-header Strict-Transport-Security \"max-age=15768000\""]),
        );
        check(
            "http-request set-header X-Forwarded-Port %[dst_port]",
            Ok(&["http-request set-header X-Forwarded-Port %[dst_port]"]),
        );
        check("reqirep ^Host:\\ a Host:\\ b", Err("removed in HAProxy 2.1; write http-request replace-header"));
        check("rspidel ^Server:.*", Err("removed in HAProxy 2.1"));
        check("server evil 10.0.0.1:80", Err("server is not accepted"));
        check("option forwardfor\nbind :80", Err("bind is not accepted"));
        check("option httplog # note", Err("without comments"));
        check("reqadd nocolon", Err("takes"));
    }
}
