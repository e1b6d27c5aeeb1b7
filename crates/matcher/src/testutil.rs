//! Test fixtures: a schema, bound fields and events parsed from JSON.

use event::wildcard::Pattern;
use event::{parse_event, Event, FieldRegistry, Schema};
use ir::{Binder, FieldRef, Pred, Test};

pub struct Fx {
    pub schema: Schema,
    pub reg: FieldRegistry,
}

impl Fx {
    /// ECS plus the given mapping properties (JSON object body).
    pub fn new(properties: &str) -> Fx {
        let schema = Schema::with_mapping_json(&format!("{{\"properties\":{properties}}}"))
            .expect("mapping");
        Fx {
            schema,
            reg: FieldRegistry::new(),
        }
    }

    /// Binds `name` for exact comparison (text → keyword sub-field).
    pub fn f(&mut self, name: &str) -> FieldRef {
        Binder::new(&self.schema, &mut self.reg)
            .bind_exact(name)
            .field
    }

    /// Parses an event; fields must be bound first.
    pub fn ev(&self, json: &str) -> Event<'static> {
        parse_event(json, &self.reg)
            .expect("event json")
            .into_owned()
    }
}

/// `field` is one of the terms `values` (exact or case-folded).
pub fn terms(field: &FieldRef, values: &[&str], case_insensitive: bool) -> Pred {
    Pred::field(
        field.clone(),
        Test::Terms {
            values: values.iter().map(|v| v.to_string()).collect(),
            case_insensitive,
        },
    )
}

/// `field` matches one of the wildcard `patterns`.
pub fn wild(field: &FieldRef, patterns: &[&str], case_insensitive: bool) -> Pred {
    Pred::field(
        field.clone(),
        Test::Wildcards(
            patterns
                .iter()
                .map(|p| Pattern::new(p, case_insensitive))
                .collect(),
        ),
    )
}
