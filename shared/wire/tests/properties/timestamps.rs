//! Marathon's timestamps (`2015-09-17T09:32:36.583Z`): any text parses or is refused without
//! panicking, every instant of years 0000 to 9999 is written as text that reads back the same, and
//! whatever text is accepted is an instant whose written form reads back as that instant.

use corral_wire::marathon::Timestamp;
use proptest::prelude::*;

/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
const FIRST: i64 = -62_167_219_200_000;
const LAST: i64 = 253_402_300_799_999;

fn one_of(texts: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(texts).prop_map(str::to_string)
}

/// A two-digit field: mostly `valid`, often one of its `edges`, sometimes any two digits.
fn field(valid: &'static str, edges: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![4 => valid, 2 => one_of(edges), 1 => "[0-9]{2}"]
}

/// Text shaped like a timestamp: mostly in range, often on the edges of years 0000 and 9999 (where
/// an offset moves the instant out of them), sometimes any digits, with every offset form.
fn timestamp_like_text() -> impl Strategy<Value = String> {
    let year = prop_oneof![2 => "[0-9]{4}", 1 => one_of(&["0000", "9999", "1970", "2000"])];
    let offset = prop_oneof![
        Just("Z".to_string()),
        Just("z".to_string()),
        "[+-]([01][0-9]|2[0-3]):?[0-5][0-9]",
        "[+-][0-9]{0,3}",
        Just(String::new()),
    ];
    let fraction = prop_oneof![Just(String::new()), "\\.[0-9]{0,12}"];
    (
        year,
        field("0[1-9]|1[0-2]", &["01", "02", "12"]),
        field("0[1-9]|1[0-9]|2[0-8]", &["01", "29", "31"]),
        "[Tt ]",
        field("[01][0-9]|2[0-3]", &["00", "23"]),
        field("[0-5][0-9]", &["00", "59"]),
        field("[0-5][0-9]", &["00", "59"]),
        fraction,
        offset,
    )
        .prop_map(|(year, month, day, t, hour, minute, second, fraction, offset)| {
            format!("{year}-{month}-{day}{t}{hour}:{minute}:{second}{fraction}{offset}")
        })
}

proptest! {
    #![proptest_config(crate::cases(2048))]

    #[test]
    fn any_text_is_read_as_an_instant_whose_written_form_reads_back_the_same(
        text in prop_oneof![any::<String>(), timestamp_like_text()],
    ) {
        if let Ok(stamp) = text.parse::<Timestamp>() {
            let written = stamp.to_string();
            prop_assert_eq!(written.parse::<Timestamp>(), Ok(stamp), "{} was written as {}", text, written);
        }
    }

    #[test]
    fn every_instant_of_four_digit_years_is_written_as_text_that_reads_back_the_same(millis in FIRST..=LAST) {
        let stamp = Timestamp::from_millis(millis);
        prop_assert_eq!(stamp.to_string().parse::<Timestamp>(), Ok(stamp));
        prop_assert_eq!(serde_json::from_value::<Timestamp>(serde_json::to_value(stamp).unwrap()).unwrap(), stamp);
    }

    #[test]
    fn any_instant_is_written_without_panicking(millis in any::<i64>()) {
        let _ = Timestamp::from_millis(millis).to_string();
    }
}

/// Found by the properties above: an offset that moves the instant out of years 0000-9999, whose
/// written form (`10000-01-01T...`) did not read back.
#[test]
fn an_offset_that_leaves_four_digit_years_is_refused() {
    for text in ["9999-12-31t02:10:00-2150", "0000-01-01T00:00:00+00:01"] {
        assert!(text.parse::<Timestamp>().is_err(), "{text}");
    }
    for text in ["9999-12-31T23:59:59.999+00:00", "0000-01-01T00:00:00-00:00"] {
        assert!(text.parse::<Timestamp>().is_ok(), "{text}");
    }
}
