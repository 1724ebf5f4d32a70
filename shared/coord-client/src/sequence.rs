//! Ordering of sequential znodes by their ten-digit suffix, as leader election and discovery need it.

/// The sequence number of a sequential node's name: its last ten characters, when they are all
/// digits (`n_0000000003` → 3, `json.info_0000000012` → 12). Other names have none.
pub fn sequence_suffix(name: &str) -> Option<u64> {
    let bytes = name.as_bytes();
    if bytes.len() < 10 {
        return None;
    }
    let suffix = &bytes[bytes.len() - 10..];
    if !suffix.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(suffix).ok()?.parse().ok()
}

/// The names that carry a sequence suffix, lowest sequence first (ties broken by name).
pub fn by_sequence<S: AsRef<str>>(names: &[S]) -> Vec<&str> {
    let mut sequenced: Vec<(u64, &str)> =
        names.iter().filter_map(|name| sequence_suffix(name.as_ref()).map(|seq| (seq, name.as_ref()))).collect();
    sequenced.sort_unstable();
    sequenced.into_iter().map(|(_, name)| name).collect()
}

/// The name with the lowest sequence suffix, whatever its prefix.
pub fn lowest_sequence<S: AsRef<str>>(names: &[S]) -> Option<&str> {
    names
        .iter()
        .filter_map(|name| sequence_suffix(name.as_ref()).map(|seq| (seq, name.as_ref())))
        .min()
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_trailing_ten_digits() {
        let check = |name: &str, expected: Option<u64>| {
            assert_eq!(sequence_suffix(name), expected, "suffix of {name:?}");
        };
        check("n_0000000003", Some(3));
        check("json.info_0000000012", Some(12));
        check("0000000000", Some(0));
        check("n_000000003", None);
        check("n_000000000x", None);
        check("leader", None);
        check("", None);
    }

    #[test]
    fn orders_by_sequence_across_prefixes() {
        let names = ["n_0000000010", "json.info_0000000002", "lock", "m_0000000007"];
        assert_eq!(by_sequence(&names), ["json.info_0000000002", "m_0000000007", "n_0000000010"]);
        assert_eq!(lowest_sequence(&names), Some("json.info_0000000002"));
        assert_eq!(lowest_sequence(&["lock"]), None);
        assert_eq!(lowest_sequence::<&str>(&[]), None);
    }
}
