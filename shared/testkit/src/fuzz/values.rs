//! The hostile values requests are made of, and [`Bodies`], which makes JSON bodies from a
//! request body's schema: shaped like it with extreme values, shaped like it with wrong types,
//! random, empty, not JSON, too large or too deep.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_yaml::Value as Yaml;

use super::json_text::JsonText;
use super::resolve;

/// Path parameter values as they go on the wire: percent-encoded where the encoding is the
/// point (a newline, `<`, NUL, bytes that are not UTF-8, a broken escape), raw otherwise. The URL
/// parser of the client that sends them encodes raw non-ASCII and resolves `.` and `..` (also
/// written `%2e%2e`), so those reach the server as requests for another path.
pub(super) const PATH_VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1.5",
    "1e3",
    "0x10",
    "null",
    "web",
    "prod/web",
    "a/b",
    "/a/b",
    "a//b",
    "a/b/",
    "..",
    ".",
    "../..",
    "%2e%2e",
    "%2F",
    "a%2Fb",
    "%0A",
    "a%0Ab",
    "%0D%0Aset-cookie:%20x",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%00",
    "%FF",
    "%C3%28",
    "%zz",
    "%",
    "%20",
    "snow%E2%98%83man",
    "snow☃man",
    "%E2%80%AEtxt",
];

/// Text (query values, header values of string parameters, JSON strings) before any encoding.
const HOSTILE_TEXT: &[&str] = &[
    "",
    " ",
    "\n",
    "a\r\nb",
    "\t",
    "<script>alert(1)</script>",
    "..",
    "../../../../etc/passwd",
    "/etc/passwd",
    "/a/b",
    "a//b",
    "/",
    "%0A",
    "%zz",
    "☃ünïcødé",
    "\u{202e}txt",
    "a\u{0}b",
    "\u{feff}",
    "null",
    "true",
    "-1",
    "0",
    "9223372036854775807",
    "18446744073709551616",
    "1e400",
    "NaN",
    "{}",
    "[]",
    "'\"`",
    "&=?#;",
    "web",
    "prod/web",
];

/// Strings a careful client sends, so that some shaped bodies get past validation.
const ORDINARY_TEXT: &[&str] = &["web", "/web", "/fuzz/web", "sleep 1000", "a", "/a/b", "x=1"];

/// Integer literals at and beyond the edges of `i32`, `u32`, `i64` and `u64`, and beyond `f64`'s
/// exact integers.
const HOSTILE_INTEGERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
];

/// Fractional literals: signed zero, extremes of `f64` and tiny ones.
const HOSTILE_FRACTIONS: &[&str] =
    &["0.0", "-0", "0.5", "-1.5", "1e308", "-1e308", "1.7976931348623157e308", "5e-324", "1e-7", "3.4e38"];

/// Numbers no `f64` holds: only in random bodies, where every parse may fail.
const UNREPRESENTABLE_NUMBERS: &[&str] = &["1e400", "-1e400", "1E-400"];

/// Object keys of random objects (besides the schema's own property names).
const HOSTILE_KEYS: &[&str] = &["", "__proto__", "constructor", "$ref", "a.b", "☃", "\u{0}", "id", "type", "x"];

/// Bodies that are not JSON (or not only JSON).
const NOT_JSON: &[&[u8]] = &[
    b"",
    b"   ",
    b"{",
    b"}",
    b"[1,2",
    b"{\"a\":}",
    b"{\"a\" 1}",
    b"{\"a\":1,}",
    b"nul",
    b"tru",
    b"{'a': 1}",
    b"{\"a\":1}garbage",
    b"\"unterminated",
    b"\xff\xfe\x00",
    b"{\"a\":\"\xff\"}",
    b"NaN",
    b"Infinity",
    b"--1",
    b"01",
    b"\x00",
    b"<xml/>",
    b"id=1&cmd=x",
];

/// Query parameter values of the wrong type for an integer.
const NOT_INTEGERS: &[&str] =
    &["abc", "1.5", "1e3", "0x10", " 1", "+-1", "", "99999999999999999999", "-9223372036854775809"];

/// Query parameter values of the wrong type for a boolean.
const NOT_BOOLEANS: &[&str] = &["yes", "2", "", "TRUE", "on", "null", "truee", "0x1"];

/// Header values of the wrong type for an integer header (never a number in range, whose answer
/// may legitimately be a wait).
pub(super) const NOT_INTEGER_HEADERS: &[&str] = &["abc", "-1", "1.5", "99999999999999999999", "", " ", "0x10", "1e3"];

/// Printable header values for string headers.
pub(super) const HEADER_TEXT: &[&str] = &["", "x", "..", "<script>", "a b", "%0A", "null", "-1", "9223372036854775807"];

/// One of `values`.
pub(super) fn pick<'v, T: ?Sized>(rng: &mut StdRng, values: &[&'v T]) -> &'v T {
    values.choose(rng).copied().expect("value lists are not empty")
}

/// Hostile text, sometimes long (300 ASCII characters or 200 two-byte ones).
pub(super) fn hostile_text(rng: &mut StdRng) -> String {
    match rng.gen_range(0..12) {
        0 => "x".repeat(300),
        1 => "é".repeat(200),
        _ => pick(rng, HOSTILE_TEXT).to_string(),
    }
}

/// A query value of the wrong type for a parameter of `scalar` type (`integer`, `boolean`, ...).
pub(super) fn wrong_query_value(rng: &mut StdRng, scalar: &str) -> String {
    match scalar {
        "integer" | "number" => pick(rng, NOT_INTEGERS).to_string(),
        "boolean" => pick(rng, NOT_BOOLEANS).to_string(),
        _ => hostile_text(rng),
    }
}

/// What a body is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// The schema's shape and types, with extreme values.
    Shaped,
    /// The schema's shape with some values of the wrong type (at least one at the top).
    WrongTypes,
    /// Any JSON, nested a few levels.
    Random,
    /// `{}`.
    EmptyObject,
    /// Bytes that are not JSON, or nothing.
    NotJson,
    /// A body of 100 KB to 3 MB.
    Oversized,
    /// Arrays or objects nested 100 to 100 000 deep.
    Deep,
}

impl BodyKind {
    /// The order kinds take, request after request: shaped bodies, which may get past parsing,
    /// come most often.
    pub(super) const CYCLE: [BodyKind; 11] = [
        BodyKind::Shaped,
        BodyKind::WrongTypes,
        BodyKind::Random,
        BodyKind::Shaped,
        BodyKind::NotJson,
        BodyKind::EmptyObject,
        BodyKind::Shaped,
        BodyKind::WrongTypes,
        BodyKind::Oversized,
        BodyKind::Shaped,
        BodyKind::Deep,
    ];

    /// Whether such a body surely does not fit its schema: every kind but `Shaped` (a shaped
    /// body may be well-formed), `Random` (it could happen to fit a loose schema) and
    /// `EmptyObject` (it fits a schema without required properties).
    pub fn is_unreadable(self) -> bool {
        !matches!(self, BodyKind::Shaped | BodyKind::Random | BodyKind::EmptyObject)
    }
}

/// Nesting deeper than this becomes `{}` or `[]` in shaped bodies.
const MAX_SHAPED_DEPTH: usize = 5;

/// Makes bodies for the schemas of one document.
pub(super) struct Bodies<'a> {
    pub(super) document: &'a Yaml,
    pub(super) rng: &'a mut StdRng,
}

impl Bodies<'_> {
    /// A body of `kind` for `schema`.
    pub(super) fn make(&mut self, schema: &Yaml, kind: BodyKind) -> Vec<u8> {
        match kind {
            BodyKind::Shaped => self.shaped(schema, 0, false).render().into_bytes(),
            BodyKind::WrongTypes => self.shaped(schema, 0, true).render().into_bytes(),
            BodyKind::Random => self.random(4).render().into_bytes(),
            BodyKind::EmptyObject => b"{}".to_vec(),
            BodyKind::NotJson => pick(self.rng, NOT_JSON).to_vec(),
            BodyKind::Oversized => self.oversized(schema),
            BodyKind::Deep => self.deep(),
        }
    }

    /// A value of `schema`'s shape. With `wrong`, some values have the wrong type, and at the
    /// top at least one does.
    fn shaped(&mut self, schema: &Yaml, depth: usize, wrong: bool) -> JsonText {
        let schema = resolve(self.document, schema);
        if let Some(parts) = schema["allOf"].as_sequence() {
            let mut members = Vec::new();
            for part in parts {
                match self.shaped(part, depth, wrong) {
                    JsonText::Object(more) => members.extend(more),
                    other if members.is_empty() => return other,
                    _ => {}
                }
            }
            return JsonText::Object(members);
        }
        if let Some(choices) = schema["oneOf"].as_sequence().or_else(|| schema["anyOf"].as_sequence()) {
            if let Some(choice) = choices.choose(self.rng) {
                return self.shaped(choice, depth, wrong);
            }
        }
        if wrong && depth == 0 && !matches!(type_of(schema), "object" | "array") {
            return self.wrong(schema);
        }
        if let Some(values) = schema["enum"].as_sequence() {
            if self.rng.gen_bool(0.7) {
                if let Some(value) = values.choose(self.rng) {
                    return from_yaml(value);
                }
            }
        }
        match type_of(schema) {
            "object" => self.shaped_object(schema, depth, wrong),
            "array" => {
                if depth >= MAX_SHAPED_DEPTH {
                    return JsonText::List(Vec::new());
                }
                let count = if self.rng.gen_bool(0.05) { 200 } else { self.rng.gen_range(0..=3) };
                let items = &schema["items"];
                if wrong && depth == 0 {
                    // The items of a top-level list are wrong as a top-level object is.
                    return JsonText::List((0..count.max(1)).map(|_| self.shaped(items, 0, true)).collect());
                }
                JsonText::List((0..count).map(|_| self.value(items, depth + 1, wrong)).collect())
            }
            "string" if self.rng.gen_bool(0.25) => JsonText::text(pick(self.rng, ORDINARY_TEXT)),
            "string" => JsonText::Text(hostile_text(self.rng)),
            "integer" => JsonText::number(pick(self.rng, HOSTILE_INTEGERS)),
            "number" => match self.rng.gen_bool(0.5) {
                true => JsonText::number(pick(self.rng, HOSTILE_INTEGERS)),
                false => JsonText::number(pick(self.rng, HOSTILE_FRACTIONS)),
            },
            "boolean" => JsonText::Bool(self.rng.gen()),
            _ => self.random(2),
        }
    }

    /// A property's or item's value: shaped, or (when `wrong`, now and then) of the wrong type.
    fn value(&mut self, schema: &Yaml, depth: usize, wrong: bool) -> JsonText {
        match wrong && self.rng.gen_bool(0.3) {
            true => self.wrong(schema),
            false => self.shaped(schema, depth, wrong),
        }
    }

    fn shaped_object(&mut self, schema: &Yaml, depth: usize, wrong: bool) -> JsonText {
        if depth >= MAX_SHAPED_DEPTH {
            return JsonText::Object(Vec::new());
        }
        let required: Vec<&str> =
            schema["required"].as_sequence().into_iter().flatten().filter_map(Yaml::as_str).collect();
        let properties: Vec<(&str, &Yaml)> = schema["properties"]
            .as_mapping()
            .into_iter()
            .flatten()
            .filter_map(|(name, property)| Some((name.as_str()?, property)))
            .collect();
        let mut members = Vec::new();
        // With `wrong`, this property (at the top) surely gets a wrong type.
        let surely_wrong =
            (wrong && depth == 0 && !properties.is_empty()).then(|| self.rng.gen_range(0..properties.len()));
        for (index, (name, property)) in properties.iter().enumerate() {
            if surely_wrong == Some(index) {
                members.push((name.to_string(), self.wrong(property)));
            } else if required.contains(name) || self.rng.gen_bool(0.7) {
                members.push((name.to_string(), self.value(property, depth + 1, wrong)));
            }
        }
        match &schema["additionalProperties"] {
            Yaml::Mapping(extra) => {
                for _ in 0..self.rng.gen_range(0..=2) {
                    let key = hostile_text(self.rng);
                    let value = self.value(&Yaml::Mapping(extra.clone()), depth + 1, wrong);
                    members.push((key, value));
                }
            }
            _ if properties.is_empty() => {
                if let JsonText::Object(random) = self.random_object(2) {
                    members.extend(random);
                }
            }
            _ => {}
        }
        // Now and then a key twice.
        if !members.is_empty() && self.rng.gen_bool(0.1) {
            let repeated = members[self.rng.gen_range(0..members.len())].clone();
            members.push(repeated);
        }
        JsonText::Object(members)
    }

    /// A value of any type but `schema`'s.
    fn wrong(&mut self, schema: &Yaml) -> JsonText {
        let expected = type_of(resolve(self.document, schema));
        let candidates: Vec<(&str, JsonText)> = vec![
            ("null", JsonText::Null),
            ("boolean", JsonText::Bool(true)),
            ("number", JsonText::number("1.5")),
            ("integer", JsonText::number("-1")),
            ("integer", JsonText::number("99999999999999999999999")),
            ("string", JsonText::text("text")),
            ("string", JsonText::text("1")),
            ("array", JsonText::List(Vec::new())),
            ("array", JsonText::List(vec![JsonText::number("1"), JsonText::text("x")])),
            ("object", JsonText::Object(Vec::new())),
            ("object", JsonText::Object(vec![("k".into(), JsonText::text("v"))])),
        ];
        let allowed: Vec<JsonText> = candidates
            .into_iter()
            .filter(|(kind, _)| *kind != expected && !(expected == "number" && *kind == "integer"))
            .map(|(_, value)| value)
            .collect();
        allowed.choose(self.rng).cloned().unwrap_or(JsonText::Null)
    }

    /// Any JSON value, nested at most `depth` levels.
    fn random(&mut self, depth: usize) -> JsonText {
        let choice = if depth == 0 { self.rng.gen_range(0..6) } else { self.rng.gen_range(0..9) };
        match choice {
            0 => JsonText::Null,
            1 => JsonText::Bool(self.rng.gen()),
            2 => JsonText::number(pick(self.rng, HOSTILE_INTEGERS)),
            3 => JsonText::number(pick(self.rng, HOSTILE_FRACTIONS)),
            4 => JsonText::number(pick(self.rng, UNREPRESENTABLE_NUMBERS)),
            5 => JsonText::Text(hostile_text(self.rng)),
            6 | 7 => self.random_object(depth),
            _ => JsonText::List((0..self.rng.gen_range(0..=4)).map(|_| self.random(depth - 1)).collect()),
        }
    }

    fn random_object(&mut self, depth: usize) -> JsonText {
        let count = self.rng.gen_range(0..=4);
        JsonText::Object(
            (0..count)
                .map(|_| (pick(self.rng, HOSTILE_KEYS).to_string(), self.random(depth.saturating_sub(1))))
                .collect(),
        )
    }

    /// An object with a long string under one of the schema's property names (or `data`), or a
    /// long array of numbers: 100 KB, 1 MB or 3 MB (past a 2 MiB body limit).
    fn oversized(&mut self, schema: &Yaml) -> Vec<u8> {
        let size = *[100_000usize, 1_000_000, 3_000_000].choose(self.rng).expect("sizes");
        if self.rng.gen_bool(0.25) {
            return [b"[".to_vec(), b"0,".repeat(size / 2), b"0]".to_vec()].concat();
        }
        let schema = resolve(self.document, schema);
        let names: Vec<&str> =
            schema["properties"].as_mapping().into_iter().flatten().filter_map(|(name, _)| name.as_str()).collect();
        let name = names.choose(self.rng).copied().unwrap_or("data");
        JsonText::Object(vec![(name.to_string(), JsonText::Text("x".repeat(size)))]).render().into_bytes()
    }

    /// `[[[…]]]` or `{"a":{"a":…}}`, 100 to 100 000 levels deep.
    fn deep(&mut self) -> Vec<u8> {
        let depth = *[100usize, 129, 1_000, 100_000].choose(self.rng).expect("depths");
        let (open, close): (&[u8], &[u8]) = if self.rng.gen_bool(0.5) { (b"[", b"]") } else { (b"{\"a\":", b"}") };
        [open.repeat(depth), b"1".to_vec(), close.repeat(depth)].concat()
    }
}

/// The schema's type: its `type`, else `object` if it has properties, `array` if it has items.
pub(super) fn type_of(schema: &Yaml) -> &str {
    if let Some(kind) = schema["type"].as_str() {
        return kind;
    }
    if schema["properties"].is_mapping() || schema["additionalProperties"].is_mapping() {
        "object"
    } else if !schema["items"].is_null() {
        "array"
    } else if schema["enum"].is_sequence() {
        "string"
    } else {
        ""
    }
}

/// A YAML scalar (an `enum` value) as JSON.
fn from_yaml(value: &Yaml) -> JsonText {
    match value {
        Yaml::Bool(value) => JsonText::Bool(*value),
        Yaml::Number(number) => JsonText::Number(number.to_string()),
        Yaml::String(text) => JsonText::Text(text.clone()),
        _ => JsonText::Null,
    }
}
