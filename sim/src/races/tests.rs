use super::*;

fn s(id: &str) -> Scenario {
    scenario(id).unwrap()
}
