//! Service ports: unique in the cluster, kept across updates, refused when another app holds them,
//! freed with their app.

use super::*;

enum Step<'a> {
    /// `app` asks for these ports (0 = any) and gets these, or this error.
    Assign(&'a str, &'a [u16], Result<&'a [u16], &'a str>),
    Release(&'a str),
    /// `app` holds exactly these ports.
    Holds(&'a str, &'a [u16]),
}

fn check(range: std::ops::Range<u16>, steps: &[Step<'_>]) {
    let mut allocator = ServicePortAllocator::new(range);
    for (n, step) in steps.iter().enumerate() {
        match step {
            Step::Assign(app, requested, expected) => {
                let before = allocator.ports_of(app).to_vec();
                let got = allocator.assign(app, requested).map_err(|error| error.to_string());
                assert_eq!(
                    got,
                    expected.map(<[u16]>::to_vec).map_err(String::from),
                    "step {n}: {app} asks for {requested:?}"
                );
                if got.is_err() {
                    assert_eq!(allocator.ports_of(app), before, "step {n}: a refused assignment changes nothing");
                }
            }
            Step::Release(app) => allocator.release(app),
            Step::Holds(app, ports) => {
                assert_eq!(allocator.ports_of(app), *ports, "step {n}");
                assert!(ports.iter().all(|port| allocator.owner(*port) == Some(*app)), "step {n}");
            }
        }
    }
}

#[test]
fn zeros_get_the_lowest_free_ports_and_an_app_keeps_its_own() {
    use Step::*;
    check(
        10000..20000,
        &[
            Assign("/a", &[0, 0], Ok(&[10000, 10001])),
            Assign("/b", &[0], Ok(&[10002])),
            // Updated with zeros again, /a keeps its ports.
            Assign("/a", &[0, 0], Ok(&[10000, 10001])),
            // With one port fewer it keeps the first and frees the second.
            Assign("/a", &[0], Ok(&[10000])),
            Assign("/c", &[0], Ok(&[10001])),
            // Asked for by number, a port may lie outside the range; zeros skip numbers asked for.
            Assign("/d", &[0, 10003, 80], Ok(&[10004, 10003, 80])),
            Assign("/e", &[0], Ok(&[10005])),
            Holds("/d", &[10004, 10003, 80]),
            Release("/b"),
            Assign("/f", &[0, 0], Ok(&[10002, 10006])),
            // An app may ask by number for a port it got as a zero; a zero then gets a new port.
            Assign("/a", &[0, 10000], Ok(&[10007, 10000])),
        ],
    );
}

#[test]
fn a_port_of_another_app_is_refused_with_marathons_message() {
    use Step::*;
    check(
        10000..20000,
        &[
            Assign("/a", &[0, 10001], Ok(&[10000, 10001])),
            Assign("/b", &[10001], Err("Requested service port 10001 conflicts with a service port in app /a")),
            Assign("/b", &[0, 10000], Err("Requested service port 10000 conflicts with a service port in app /a")),
            Assign("/b", &[9000, 9000], Err("Requested service port 9000 is listed more than once")),
            Holds("/b", &[]),
            Assign("/b", &[9000], Ok(&[9000])),
            Assign("/c", &[9000], Err("Requested service port 9000 conflicts with a service port in app /b")),
            Release("/b"),
            Assign("/c", &[9000], Ok(&[9000])),
            Holds("/a", &[10000, 10001]),
        ],
    );
}

#[test]
fn an_exhausted_range_is_an_error_until_ports_are_freed() {
    use Step::*;
    check(
        100..103,
        &[
            Assign("/a", &[0, 0], Ok(&[100, 101])),
            Assign("/b", &[0, 0], Err("All ports in the range [100-103) are already in use")),
            Holds("/b", &[]),
            Assign("/b", &[0], Ok(&[102])),
            Assign("/a", &[0, 0, 0], Err("All ports in the range [100-103) are already in use")),
            Holds("/a", &[100, 101]),
            Release("/a"),
            Assign("/c", &[0, 0, 0], Err("All ports in the range [100-103) are already in use")),
            Assign("/c", &[0, 0], Ok(&[100, 101])),
            Release("/b"),
            Assign("/b", &[0], Ok(&[102])),
        ],
    );
}

/// The search for a free port starts above the ports known to be held; a long run of assignments
/// and releases must give what a plain search from the bottom gives.
#[test]
fn assignments_match_a_plain_lowest_free_search() {
    let mut allocator = ServicePortAllocator::new(200..260);
    let mut seed = 7u64;
    for round in 0..2000 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let app = format!("/app-{}", (seed >> 33) % 12);
        if (seed >> 20) & 3 == 0 {
            allocator.release(&app);
            continue;
        }
        let wanted = ((seed >> 40) % 5) as usize;
        let mut expected = Vec::new();
        let own: Vec<u16> = allocator.ports_of(&app).to_vec();
        for i in 0..wanted {
            let port = match own.get(i) {
                Some(port) => *port,
                None => match (200..260).find(|p| allocator.owner(*p).is_none() && !expected.contains(p)) {
                    Some(port) => port,
                    None => break,
                },
            };
            expected.push(port);
        }
        let got = allocator.assign(&app, &vec![0; wanted]);
        match got {
            Ok(ports) => assert_eq!(ports, expected, "round {round}: {app} wants {wanted}"),
            Err(_) => assert!(expected.len() < wanted, "round {round}: refused though {expected:?} were free"),
        }
    }
}
