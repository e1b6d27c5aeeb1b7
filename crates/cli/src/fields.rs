//! The field names a query plan reads (for table columns).

use ir::{Expr, Plan, Pred, QueryPlan};

/// Every field name the plan reads, in first-seen order.
pub fn plan_fields(plan: &QueryPlan) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    };
    let visit_pred = |p: &Pred, add: &mut dyn FnMut(&str)| {
        p.walk(&mut |node| match node {
            Pred::Field(t) => add(&t.field.name),
            Pred::Script(e) => e.walk(&mut |x| {
                if let Expr::Field(f) = x {
                    add(&f.name)
                }
            }),
            _ => {}
        })
    };
    match &plan.plan {
        Plan::Event(q) => visit_pred(&q.condition, &mut add),
        Plan::Sequence(s) => {
            for st in s.stages.iter().chain(s.until.iter()) {
                st.keys.iter().for_each(|k| add(&k.field.name));
                visit_pred(&st.query.condition, &mut add);
            }
        }
        Plan::Sample(s) => {
            for st in &s.stages {
                st.keys.iter().for_each(|k| add(&k.field.name));
                visit_pred(&st.query.condition, &mut add);
            }
        }
    }
    out
}
