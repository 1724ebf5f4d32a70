//! The agent's `--attributes` text (`rack:a;zone:west;level:3`): any text parses or is refused
//! without panicking, and what parses reads back the same from `name:value` written again.

use corral_wire::mesos::{Attribute, ValueType};
use proptest::prelude::*;

fn attribute_like_text() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        "[a-z0-9. :-]{0,6}",
        any::<f64>().prop_map(|number| number.to_string()),
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        Just("1e400".to_string()),
    ];
    let part = (prop_oneof!["[a-c]{1,2}", Just(String::new()), Just(" ".to_string())], value)
        .prop_map(|(name, value)| format!("{name}:{value}"));
    prop::collection::vec(prop_oneof![part, "[a-c:; ]{0,4}"], 0..6).prop_map(|parts| parts.join(";"))
}

/// An attribute written back as the flag's `name:value`.
fn written(attribute: &Attribute) -> String {
    format!("{}:{}", attribute.name, attribute.value_text())
}

proptest! {
    #![proptest_config(crate::cases(1024))]

    #[test]
    fn any_text_parses_into_attributes_that_read_back_the_same(
        text in prop_oneof![any::<String>(), attribute_like_text()],
    ) {
        let Ok(attributes) = Attribute::parse_list(&text) else { return Ok(()) };
        for attribute in &attributes {
            prop_assert!(!attribute.name.is_empty() && attribute.name == attribute.name.trim());
            match attribute.value_type {
                ValueType::Scalar => prop_assert!(attribute.scalar.is_some_and(|s| s.value.is_finite())),
                ValueType::Text => prop_assert!(attribute.text.as_ref().is_some_and(|t| !t.value.is_empty())),
                other => prop_assert!(false, "an attribute of type {:?}", other),
            }
        }
        let again: Vec<String> = attributes.iter().map(written).collect();
        prop_assert_eq!(Attribute::parse_list(&again.join(";")), Ok(attributes));
    }
}
