//! Property tests of the coordinator address list (`--coordinator host:port,host:port`): any text
//! parses or is refused without panicking, what parses is a list of `http://host:port` base URLs
//! that prints as text parsing to the same list, and any list of hosts and ports, written with or
//! without `http://`, blanks or a trailing `/`, reads as those addresses in order.

use corral_coord_client::CoordAddresses;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(2048) })]

    #[test]
    fn any_text_parses_into_base_urls_that_print_and_parse_back_the_same(
        text in prop_oneof![".{0,24}", "([a-z:/ ]{0,8}:[0-9+ -]{0,6}/?,?){0,3}"],
    ) {
        if let Ok(addresses) = CoordAddresses::parse(&text) {
            for url in addresses.base_urls() {
                let (host, port) = url.strip_prefix("http://").and_then(|rest| rest.rsplit_once(':')).unwrap();
                prop_assert!(!host.is_empty() && !host.contains('/') && !host.contains(','));
                prop_assert!(port.parse::<u16>().is_ok_and(|port| port > 0), "{}", url);
            }
            prop_assert_eq!(CoordAddresses::parse(&addresses.to_string()), Ok(addresses));
        }
    }

    #[test]
    fn any_list_of_hosts_and_ports_reads_as_those_addresses_in_order(
        entries in prop::collection::vec(("[a-z0-9][a-z0-9.-]{0,10}", 1u16.., any::<bool>(), any::<bool>()), 1..4),
    ) {
        let text: Vec<String> = entries
            .iter()
            .map(|(host, port, scheme, slash)| {
                format!(" {}{host}:{port}{} ", if *scheme { "http://" } else { "" }, if *slash { "/" } else { "" })
            })
            .collect();
        let expected: Vec<String> = entries.iter().map(|(host, port, _, _)| format!("http://{host}:{port}")).collect();
        let addresses = CoordAddresses::parse(&text.join(",")).unwrap();
        prop_assert_eq!(addresses.base_urls(), expected.as_slice());
    }
}
