//! Marathon's timestamps (`2015-09-17T09:32:36.583Z`): any text parses or is refused without
//! panicking, every instant of years 0000 to 9999 is written as text that reads back the same, and
//! whatever text is accepted is an instant whose written form reads back as that instant.

use corral_wire::marathon::Timestamp;
use proptest::prelude::*;

/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
const FIRST: i64 = -62_167_219_200_000;
const LAST: i64 = 253_402_300_799_999;

/// Text shaped like a timestamp, with digits anywhere in range or not, and every offset form.
fn timestamp_like_text() -> impl Strategy<Value = String> {
    let two = "[0-9]{2}";
    let offset = prop_oneof![
        Just("Z".to_string()),
        Just("z".to_string()),
        "[+-][0-9]{2}:?[0-9]{2}",
        "[+-][0-9]{0,3}",
        Just(String::new()),
    ];
    let fraction = prop_oneof![Just(String::new()), "\\.[0-9]{0,12}"];
    ("[0-9]{4}", two, two, "[Tt ]", two, two, two, fraction, offset).prop_map(
        |(year, month, day, t, hour, minute, second, fraction, offset)| {
            format!("{year}-{month}-{day}{t}{hour}:{minute}:{second}{fraction}{offset}")
        },
    )
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
