//! The run's actors and transactions, indexed by their ids, so the engine
//! never converts an id to a position by hand.

use super::*;

/// The actors' states, indexed by [`Actor`].
#[derive(Clone, Debug)]
pub(super) struct Actors(pub(super) Vec<ActorState>);

impl Actors {
    pub(super) fn iter(&self) -> impl Iterator<Item = (Actor, &ActorState)> + '_ {
        self.0.iter().enumerate().map(|(i, x)| (i as Actor, x))
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn get(&self, a: Actor) -> Option<&ActorState> {
        self.0.get(ActorId(a).index())
    }
}

impl std::ops::Index<Actor> for Actors {
    type Output = ActorState;
    fn index(&self, a: Actor) -> &ActorState {
        &self.0[ActorId(a).index()]
    }
}

impl std::ops::IndexMut<Actor> for Actors {
    fn index_mut(&mut self, a: Actor) -> &mut ActorState {
        &mut self.0[ActorId(a).index()]
    }
}

/// The run's transactions, indexed by [`TxnId`].
#[derive(Clone, Debug)]
pub(super) struct Txns(pub(super) Vec<Txn>);

impl Txns {
    /// Starts transaction for actor `owner`.
    pub(super) fn begin(&mut self, owner: Actor) -> TxnId {
        let t = TxnId::nth(self.0.len());
        self.0.push(Txn { owner, status: TxnStatus::Active });
        t
    }
}

impl std::ops::Index<TxnId> for Txns {
    type Output = Txn;
    fn index(&self, t: TxnId) -> &Txn {
        &self.0[t.index()]
    }
}

impl std::ops::IndexMut<TxnId> for Txns {
    fn index_mut(&mut self, t: TxnId) -> &mut Txn {
        &mut self.0[t.index()]
    }
}
