//! The typed scheduler client against real masters: it finds the leader in the coordinator,
//! follows a standby's redirect, sees offers and declines them, and after `kill -9` of the leader
//! its stream ends and it subscribes again with the same framework id at the new leader.

use std::time::Duration;

use corral_coord_client::{CoordAddresses, CoordClient};
use corral_scheduler_client::{Masters, Subscription};
use corral_testkit::{patience, MesosCluster, MesosClusterOptions};
use corral_wire::mesos::{Call, CallType, Decline, EventType, Filters, FrameworkInfo};

async fn next_of(subscription: &mut Subscription, wanted: EventType) -> corral_wire::mesos::Event {
    let within = patience(Duration::from_secs(20));
    tokio::time::timeout(within, async {
        loop {
            let event = subscription.next_event().await.expect("the stream stays open");
            if event.event_type == wanted {
                return event;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {wanted:?} event"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_follows_the_leader_and_fails_over() {
    let mut cluster = MesosCluster::start(MesosClusterOptions { masters: 2, agents: 1, ..Default::default() }).await;
    let coordinator = CoordClient::new(CoordAddresses::parse(&cluster.coordinator.servers()).unwrap());
    let http = corral_kit::http_client();
    let framework = FrameworkInfo { name: "client-test".into(), failover_timeout: Some(60.0), ..Default::default() };

    let mut discovered = Masters::discover(&coordinator, "/corral/master/leader", "http");
    let mut subscription = Subscription::subscribe(&http, &mut discovered, framework.clone()).await.unwrap();
    let leader = cluster.leading_master().await;
    assert_eq!(subscription.master(), format!("http://{leader}"));
    let id = subscription.framework_id.clone();

    let offers = next_of(&mut subscription, EventType::Offers).await.offers.unwrap().offers;
    let mut decline = Call::new(CallType::Decline, None);
    decline.decline = Some(Decline {
        offer_ids: offers.iter().map(|offer| offer.id.clone()).collect(),
        filters: Some(Filters { refuse_seconds: Some(0.0) }),
    });
    subscription.call(decline).await.unwrap();
    next_of(&mut subscription, EventType::Offers).await;

    // Subscribing again with the id through the standby: redirected to the leader, same framework;
    // the old stream is told it failed over.
    let standby = cluster.masters.iter().find(|master| master.addr != leader).unwrap().url("");
    let mut again = FrameworkInfo { id: Some(id.clone()), ..framework.clone() };
    let mut through_standby = Masters::Fixed(standby);
    let mut resubscribed = Subscription::subscribe(&http, &mut through_standby, again.clone()).await.unwrap();
    assert_eq!(resubscribed.master(), format!("http://{leader}"));
    assert_eq!(resubscribed.framework_id, id);
    let error = next_of(&mut subscription, EventType::Error).await;
    assert!(error.error.unwrap().message.contains("failed over"));

    let index = cluster.masters.iter().position(|master| master.addr == leader).unwrap();
    cluster.masters[index].process.kill();
    let ended = tokio::time::timeout(patience(Duration::from_secs(20)), async {
        while resubscribed.next_event().await.is_some() {}
    });
    ended.await.expect("the stream ends when its master dies");

    let new_leader = cluster.leading_master().await;
    again.id = Some(id.clone());
    let after = Subscription::subscribe(&http, &mut discovered, again).await.unwrap();
    assert_eq!(after.master(), format!("http://{new_leader}"));
    assert_eq!(after.framework_id, id);
}
