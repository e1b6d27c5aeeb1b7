//! `engine` owns execution: rules to a compiled rule set, index routing,
//! streaming and scheduled (Kibana-like) runs, exceptions, and alert building.

pub mod alert;
