//! Ids the master hands out: its own (a random UUID per run), and framework, agent and offer ids
//! derived from it as Mesos does (`<master>-0007`, `<master>-S3`, `<master>-O12`).

use corral_wire::mesos::{AgentId, FrameworkId, OfferId};

#[derive(Debug)]
pub struct IdGenerator {
    master_id: String,
    next_framework: u64,
    next_agent: u64,
    next_offer: u64,
}

impl IdGenerator {
    pub fn new(master_id: String) -> Self {
        IdGenerator { master_id, next_framework: 0, next_agent: 0, next_offer: 0 }
    }

    pub fn master_id(&self) -> &str {
        &self.master_id
    }

    pub fn framework(&mut self) -> FrameworkId {
        self.next_framework += 1;
        FrameworkId::new(format!("{}-{:04}", self.master_id, self.next_framework - 1))
    }

    pub fn agent(&mut self) -> AgentId {
        self.next_agent += 1;
        AgentId::new(format!("{}-S{}", self.master_id, self.next_agent - 1))
    }

    pub fn offer(&mut self) -> OfferId {
        self.next_offer += 1;
        OfferId::new(format!("{}-O{}", self.master_id, self.next_offer - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_mesos_shapes() {
        let mut ids = IdGenerator::new("m".into());
        assert_eq!(ids.framework().value, "m-0000");
        assert_eq!(ids.framework().value, "m-0001");
        assert_eq!(ids.agent().value, "m-S0");
        assert_eq!(ids.offer().value, "m-O0");
    }
}
