//! The emulated process engine: instances of a few flow definitions (parallel branches, a sub-flow, reverts,
//! aborts, rejections, withdrawals, instances left running), their tasks as the engine's task table lists them,
//! and the engine events — generated from a seed, advanced between runs.
//!
//! The task table shows what the engine did to each task itself. The clean-up the platform's event handler
//! does — the other tasks and proxy tasks of an aborted or reverted node, the open tasks of an ended instance —
//! is not in it: those tasks stay `pending` there, and a client applies the events to close them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::rng::Rng;

/// What flows to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSpec {
    /// Top-level instances (sub-flows come on top).
    pub instances: usize,
    /// The category they belong to; `outing` gets the out-of-school flow definitions, any other the office ones.
    pub category: String,
    /// Seed: the same spec over the same users gives the same flows.
    pub seed: u64,
    /// Percentage of instances left running at a random stage.
    pub running_percent: u64,
}

impl FlowSpec {
    /// `instances` office instances, seed 4, a fifth left running.
    pub fn new(instances: usize) -> Self {
        Self {
            instances,
            category: "office".into(),
            seed: 4,
            running_percent: 20,
        }
    }
}

/// One stage of a flow definition.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// One node: `(id, name)`.
    Single(&'static str, &'static str),
    /// Parallel nodes, all to be passed.
    Parallel(&'static [(&'static str, &'static str)]),
    /// A node that runs a sub-flow of this definition index.
    Sub(&'static str, &'static str, usize),
}

struct Definition {
    key: &'static str,
    stages: &'static [Stage],
}

const APPLY: Stage = Stage::Single("apply", "Application");

/// Office flows; index 3 is the quotation sub-flow.
const OFFICE: &[Definition] = &[
    Definition {
        key: "leave",
        stages: &[
            APPLY,
            Stage::Single("head", "Head of department"),
            Stage::Parallel(&[("hr", "Human resources"), ("deputy", "Deputy head")]),
            Stage::Single("archive", "Archive"),
        ],
    },
    Definition {
        key: "purchase",
        stages: &[
            APPLY,
            Stage::Single("head", "Head of department"),
            Stage::Sub("procure", "Procurement", 3),
            Stage::Single("finance", "Finance"),
        ],
    },
    Definition {
        key: "expense",
        stages: &[
            APPLY,
            Stage::Parallel(&[("budget", "Budget owner"), ("audit", "Internal audit")]),
            Stage::Single("finance", "Finance"),
            Stage::Single("pay", "Payment"),
        ],
    },
    Definition {
        key: "quote",
        stages: &[
            Stage::Single("quote", "Quotation"),
            Stage::Single("sign", "Supplier sign-off"),
        ],
    },
];

/// Out-of-school flows; index 1 is the escort sub-flow.
const OUTING: &[Definition] = &[
    Definition {
        key: "outing",
        stages: &[
            APPLY,
            Stage::Single("class_teacher", "Class teacher"),
            Stage::Parallel(&[
                ("grade_head", "Grade head"),
                ("security", "Security office"),
            ]),
            Stage::Sub("escort", "Escort arrangement", 1),
            Stage::Single("gate", "Gate check"),
        ],
    },
    Definition {
        key: "escort",
        stages: &[Stage::Single("assign", "Assign escort")],
    },
];

#[derive(Debug, Clone)]
pub(crate) struct InstanceRec {
    pub(crate) flow_key: &'static str,
    pub(crate) status: &'static str,
    pub(crate) creator: String,
    pub(crate) agent: Option<String>,
    pub(crate) anonymous: bool,
    pub(crate) participants: Vec<String>,
    pub(crate) parent: Option<(String, String)>,
    pub(crate) form: Value,
    pub(crate) started_at: i64,
    pub(crate) ended_at: Option<i64>,
    pub(crate) updated_at: i64,
    definition: usize,
    stage: usize,
    reverts: u8,
    /// Tasks of the current stage still open on the engine's side.
    open: Vec<String>,
    /// The running sub-flow the current stage waits for.
    child: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct TaskRec {
    pub(crate) instance: String,
    pub(crate) node_id: &'static str,
    pub(crate) node_name: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) assignee: Option<String>,
    pub(crate) notice: bool,
    pub(crate) status: &'static str,
    pub(crate) created_at: i64,
    pub(crate) finished_at: Option<i64>,
    pub(crate) updated_at: i64,
    /// The proxy copy of this task, if any.
    proxy: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct EventRec {
    pub(crate) instance: String,
    pub(crate) kind: &'static str,
    pub(crate) task: Option<String>,
    pub(crate) node: Option<&'static str>,
    pub(crate) to_node: Option<&'static str>,
    pub(crate) status: Option<&'static str>,
}

/// One category's instances, tasks and events.
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    pub(crate) instances: HashMap<String, InstanceRec>,
    pub(crate) instance_order: BTreeSet<(i64, String)>,
    pub(crate) tasks: HashMap<String, TaskRec>,
    pub(crate) task_order: BTreeSet<(i64, String)>,
    /// By `(at, event_id)`.
    pub(crate) events: BTreeMap<(i64, String), EventRec>,
    outing: bool,
}

/// How a stage ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Revert,
    Terminate,
    Reject,
    Cancel,
    Stay,
}

/// The process engine of every category an emulator serves.
#[derive(Debug, Clone)]
pub struct Flows {
    /// The latest time handed out.
    clock: i64,
    /// The time of the instance being simulated.
    now: i64,
    next_id: u64,
    rng: Rng,
    users: Vec<String>,
    pub(crate) books: BTreeMap<String, Book>,
}

/// The first change time of the engine: 2025-11-14T00:00:00Z in milliseconds.
const EPOCH_MS: i64 = 1_763_078_400_000;
/// Generated instances start within this many milliseconds after the epoch (90 days).
const HISTORY_MS: usize = 90 * 86_400_000;

impl Flows {
    /// An engine with no instance, whose tasks go to `users` (usernames).
    pub fn new(seed: u64, users: Vec<String>) -> Self {
        Self {
            clock: EPOCH_MS,
            now: EPOCH_MS,
            next_id: 0,
            rng: Rng::new(seed ^ 0x0f10_75ee_d000_0004),
            users,
            books: BTreeMap::new(),
        }
    }

    /// Generates the instances `spec` describes.
    pub fn generate(&mut self, spec: &FlowSpec) {
        self.rng = Rng::new(spec.seed ^ 0x0f10_75ee_d000_0004);
        for _ in 0..spec.instances {
            self.now = EPOCH_MS + self.rng.below(HISTORY_MS) as i64;
            let stop = self.rng.chance(spec.running_percent);
            self.start(&spec.category, None, None, stop);
        }
    }

    /// Moves the flows on, `rounds` times: about one running instance in ten takes its next step (passing,
    /// reverting or ending), and a few new instances start. The same `seed` gives the same steps.
    pub fn advance(&mut self, seed: u64, rounds: usize) {
        self.rng = Rng::new(seed ^ 0x0adf_a4ce_0000_0004);
        for _ in 0..rounds {
            let categories: Vec<String> = self.books.keys().cloned().collect();
            for category in categories {
                let mut running: Vec<String> = self.books[&category]
                    .instances
                    .iter()
                    .filter(|(_, i)| i.status == "running" && i.parent.is_none())
                    .map(|(id, _)| id.clone())
                    .collect();
                running.sort();
                for id in running {
                    self.now = self.clock;
                    if self.rng.chance(10) {
                        let stop_after = !self.rng.chance(40);
                        self.run(&category, &id, stop_after);
                    }
                }
                for _ in 0..3 {
                    self.now = self.clock;
                    self.start(&category, None, None, true);
                }
            }
        }
    }

    /// Top-level and sub-flow instances of `category`.
    pub fn instance_count(&self, category: &str) -> usize {
        self.books.get(category).map_or(0, |b| b.instances.len())
    }

    /// Tasks of `category`.
    pub fn task_count(&self, category: &str) -> usize {
        self.books.get(category).map_or(0, |b| b.tasks.len())
    }

    /// Engine events of `category`.
    pub fn event_count(&self, category: &str) -> usize {
        self.books.get(category).map_or(0, |b| b.events.len())
    }

    /// Ids of the instances of `category` that have a sub-flow and a revert, sorted.
    pub fn instances_with_sub_flow_and_revert(&self, category: &str) -> Vec<String> {
        let Some(book) = self.books.get(category) else {
            return Vec::new();
        };
        let parents: BTreeSet<&str> = book
            .instances
            .values()
            .filter_map(|i| i.parent.as_ref().map(|(p, _)| p.as_str()))
            .collect();
        let reverted: BTreeSet<&str> = book
            .events
            .values()
            .filter(|e| e.kind == "task_reverted")
            .map(|e| e.instance.as_str())
            .collect();
        parents
            .intersection(&reverted)
            .map(|id| (*id).to_owned())
            .collect()
    }

    /// The next instant of the instance being simulated (and of the engine, when it is the latest).
    fn tick(&mut self) -> i64 {
        self.now += 1;
        self.clock = self.clock.max(self.now);
        self.now
    }

    /// People take a while: ten minutes to two days pass.
    fn wait(&mut self) {
        self.now += 600_000 + self.rng.below(2 * 86_400_000) as i64;
    }

    fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:07}", self.next_id)
    }

    fn user(&mut self) -> String {
        let index = self.rng.below(self.users.len());
        self.users
            .get(index)
            .cloned()
            .unwrap_or_else(|| "nobody".to_owned())
    }

    fn definitions(&self, category: &str) -> &'static [Definition] {
        if self.books.get(category).is_some_and(|b| b.outing) {
            OUTING
        } else {
            OFFICE
        }
    }

    /// Starts an instance (a sub-flow when `parent` is given) and runs it until it ends or, when `stop`, until
    /// a random stage where it is left running. Returns its id.
    fn start(
        &mut self,
        category: &str,
        parent: Option<(String, &'static str)>,
        definition: Option<usize>,
        stop: bool,
    ) -> String {
        self.books
            .entry(category.to_owned())
            .or_insert_with(|| Book {
                outing: category == "outing",
                ..Book::default()
            });
        let definitions = self.definitions(category);
        let definition = definition.unwrap_or_else(|| self.rng.below(definitions.len().max(2) - 1));
        let id = self.fresh_id("pi-");
        let creator = self.user();
        let agent = self.rng.chance(10).then(|| self.user());
        let anonymous = self.rng.chance(3);
        let form = json!({
            "days": 1 + self.rng.below(10),
            "amount": 100 * (1 + self.rng.below(50)),
            "urgent": self.rng.chance(15),
        });
        let at = self.tick();
        let record = InstanceRec {
            flow_key: definitions[definition].key,
            status: "running",
            participants: vec![creator.clone()],
            creator,
            agent,
            anonymous,
            parent: parent.map(|(p, node)| (p, node.to_owned())),
            form,
            started_at: at,
            ended_at: None,
            updated_at: at,
            definition,
            stage: 0,
            reverts: 0,
            open: Vec::new(),
            child: None,
        };
        if let Some(book) = self.books.get_mut(category) {
            book.instance_order.insert((at, id.clone()));
            book.instances.insert(id.clone(), record);
        }
        self.enter(category, &id);
        self.run(category, &id, stop);
        id
    }

    /// Resolves stages of a running instance until it ends, or (when `stop`) stops at a random one.
    fn run(&mut self, category: &str, id: &str, stop: bool) {
        let stop_at = stop.then(|| 1 + self.rng.below(4));
        let mut steps = 0;
        loop {
            let Some(instance) = self.books.get(category).and_then(|b| b.instances.get(id)) else {
                return;
            };
            if instance.status != "running" {
                return;
            }
            steps += 1;
            if stop_at.is_some_and(|at| steps >= at) {
                return;
            }
            if self.resolve(category, id, stop) == Outcome::Stay {
                return;
            }
        }
    }

    fn stages(&self, category: &str, id: &str) -> Option<(&'static [Stage], usize, u8)> {
        let instance = self.books.get(category)?.instances.get(id)?;
        let stages = self.definitions(category).get(instance.definition)?.stages;
        Some((stages, instance.stage, instance.reverts))
    }

    /// Creates the tasks of the instance's current stage (and starts its sub-flow).
    fn enter(&mut self, category: &str, id: &str) {
        let Some((stages, stage, _)) = self.stages(category, id) else {
            return;
        };
        let Some(current) = stages.get(stage).copied() else {
            return;
        };
        let mut open = Vec::new();
        match current {
            Stage::Single(node, name) => {
                let creator = (node == "apply").then(|| self.creator(category, id));
                open.extend(self.node_tasks(category, id, node, name, creator));
            }
            Stage::Parallel(nodes) => {
                for (node, name) in nodes {
                    open.extend(self.node_tasks(category, id, node, name, None));
                }
            }
            Stage::Sub(node, name, definition) => {
                let task = self.new_task(category, id, node, name, "sub_flow", None, false);
                open.push(task);
                let stop = self.rng.chance(30);
                let child = self.start(
                    category,
                    Some((id.to_owned(), node)),
                    Some(definition),
                    stop,
                );
                let child_running = self
                    .books
                    .get(category)
                    .and_then(|b| b.instances.get(&child))
                    .is_some_and(|c| c.status == "running");
                if let Some(instance) = self.instance_mut(category, id) {
                    instance.child = child_running.then_some(child);
                }
            }
        }
        if let Some(instance) = self.instance_mut(category, id) {
            instance.open = open;
        }
    }

    fn creator(&self, category: &str, id: &str) -> String {
        self.books
            .get(category)
            .and_then(|b| b.instances.get(id))
            .map_or_else(String::new, |i| i.creator.clone())
    }

    /// One or two approvers' tasks at `node`, some with a proxy copy.
    fn node_tasks(
        &mut self,
        category: &str,
        id: &str,
        node: &'static str,
        name: &'static str,
        only: Option<String>,
    ) -> Vec<String> {
        let approvers = match &only {
            Some(_) => 1,
            None if self.rng.chance(30) => 2,
            None => 1,
        };
        let mut tasks = Vec::new();
        for _ in 0..approvers {
            let assignee = only.clone().unwrap_or_else(|| self.user());
            let notice = self.rng.chance(90);
            let task = self.new_task(
                category,
                id,
                node,
                name,
                "approval",
                Some(assignee.clone()),
                notice,
            );
            if only.is_none() && self.rng.chance(20) {
                let stand_in = self.user();
                let proxy =
                    self.new_task(category, id, node, name, "proxy", Some(stand_in), notice);
                if let Some(record) = self.task_mut(category, &task) {
                    record.proxy = Some(proxy);
                }
            }
            if let Some(instance) = self.instance_mut(category, id)
                && !instance.participants.contains(&assignee)
            {
                instance.participants.push(assignee);
            }
            tasks.push(task);
        }
        tasks
    }

    #[allow(clippy::too_many_arguments)]
    fn new_task(
        &mut self,
        category: &str,
        instance: &str,
        node_id: &'static str,
        node_name: &'static str,
        kind: &'static str,
        assignee: Option<String>,
        notice: bool,
    ) -> String {
        let id = self.fresh_id("pt-");
        let at = self.tick();
        if let Some(book) = self.books.get_mut(category) {
            book.task_order.insert((at, id.clone()));
            book.tasks.insert(
                id.clone(),
                TaskRec {
                    instance: instance.to_owned(),
                    node_id,
                    node_name,
                    kind,
                    assignee,
                    notice,
                    status: "pending",
                    created_at: at,
                    finished_at: None,
                    updated_at: at,
                    proxy: None,
                },
            );
        }
        id
    }

    fn instance_mut(&mut self, category: &str, id: &str) -> Option<&mut InstanceRec> {
        self.books.get_mut(category)?.instances.get_mut(id)
    }

    fn task_mut(&mut self, category: &str, id: &str) -> Option<&mut TaskRec> {
        self.books.get_mut(category)?.tasks.get_mut(id)
    }

    /// The engine closes a task itself (and a proxy copy along with a completed task).
    fn close_task(&mut self, category: &str, id: &str, status: &'static str) {
        let at = self.tick();
        let Some(book) = self.books.get_mut(category) else {
            return;
        };
        let mut closing = vec![id.to_owned()];
        if status == "completed"
            && let Some(proxy) = book.tasks.get(id).and_then(|t| t.proxy.clone())
        {
            closing.push(proxy);
        }
        for task_id in closing {
            if let Some(task) = book.tasks.get_mut(&task_id) {
                book.task_order.remove(&(task.updated_at, task_id.clone()));
                task.status = status;
                task.finished_at = Some(at);
                task.updated_at = at;
                book.task_order.insert((at, task_id));
            }
        }
    }

    fn event(
        &mut self,
        category: &str,
        instance: &str,
        kind: &'static str,
        task: Option<&str>,
        to_node: Option<&'static str>,
        status: Option<&'static str>,
    ) {
        let at = self.tick();
        let id = self.fresh_id("pe-");
        let Some(book) = self.books.get_mut(category) else {
            return;
        };
        let node = task.and_then(|t| book.tasks.get(t)).map(|t| t.node_id);
        book.events.insert(
            (at, id),
            EventRec {
                instance: instance.to_owned(),
                kind,
                task: task.map(str::to_owned),
                node,
                to_node,
                status,
            },
        );
    }

    fn end(&mut self, category: &str, id: &str, status: &'static str) {
        self.event(category, id, "instance_ended", None, None, Some(status));
        let at = self.tick();
        let parent = {
            let Some(book) = self.books.get_mut(category) else {
                return;
            };
            let Some(instance) = book.instances.get_mut(id) else {
                return;
            };
            book.instance_order
                .remove(&(instance.updated_at, id.to_owned()));
            instance.status = status;
            instance.ended_at = Some(at);
            instance.updated_at = at;
            instance.open.clear();
            book.instance_order.insert((at, id.to_owned()));
            instance.parent.clone()
        };
        if let Some((parent, _)) = parent
            && self
                .books
                .get(category)
                .and_then(|b| b.instances.get(&parent))
                .is_some_and(|p| p.child.as_deref() == Some(id))
            && let Some(instance) = self.instance_mut(category, &parent)
        {
            instance.child = None;
        }
    }

    fn touch_instance(&mut self, category: &str, id: &str) {
        let at = self.tick();
        if let Some(book) = self.books.get_mut(category)
            && let Some(instance) = book.instances.get_mut(id)
        {
            book.instance_order
                .remove(&(instance.updated_at, id.to_owned()));
            instance.updated_at = at;
            book.instance_order.insert((at, id.to_owned()));
        }
    }

    fn outcome(&mut self, stage: usize, stages: &[Stage], reverts: u8) -> Outcome {
        let roll = self.rng.below(100);
        let single = matches!(stages.get(stage), Some(Stage::Single(..)));
        match roll {
            0..=9 if single && stage >= 2 && reverts < 2 => Outcome::Revert,
            10..=12 => Outcome::Terminate,
            13..=15 if stage >= 1 => Outcome::Reject,
            16..=17 => Outcome::Cancel,
            _ => Outcome::Pass,
        }
    }

    /// Resolves the current stage: passes it (entering the next, or completing the instance), reverts it to
    /// the previous stage, or ends the instance. `Stay` when it waits for a running sub-flow.
    fn resolve(&mut self, category: &str, id: &str, stop_children: bool) -> Outcome {
        let Some((stages, stage, reverts)) = self.stages(category, id) else {
            return Outcome::Stay;
        };
        let (open, child) = match self.books.get(category).and_then(|b| b.instances.get(id)) {
            Some(instance) => (instance.open.clone(), instance.child.clone()),
            None => return Outcome::Stay,
        };
        if let Some(child) = child {
            let stop = stop_children && self.rng.chance(50);
            self.run(category, &child, stop);
            let still = self
                .books
                .get(category)
                .and_then(|b| b.instances.get(&child))
                .is_some_and(|c| c.status == "running");
            if still {
                return Outcome::Stay;
            }
        }
        self.wait();
        let outcome = if stage == 0 {
            Outcome::Pass
        } else {
            self.outcome(stage, stages, reverts)
        };
        let approvals: Vec<String> = open
            .iter()
            .filter(|t| {
                self.books
                    .get(category)
                    .and_then(|b| b.tasks.get(*t))
                    .is_some_and(|t| t.kind != "sub_flow")
            })
            .cloned()
            .collect();
        match outcome {
            Outcome::Pass => {
                for task in &open {
                    self.close_task(category, task, "completed");
                    self.event(category, id, "task_completed", Some(task), None, None);
                }
                if stage + 1 >= stages.len() {
                    self.end(category, id, "completed");
                } else {
                    if let Some(instance) = self.instance_mut(category, id) {
                        instance.stage += 1;
                    }
                    self.touch_instance(category, id);
                    self.enter(category, id);
                }
            }
            Outcome::Revert => {
                let back = match stages.get(stage - 1) {
                    Some(Stage::Single(node, _)) => Some(*node),
                    _ => None,
                };
                if let Some(task) = approvals.first() {
                    self.close_task(category, task, "reverted");
                    self.event(category, id, "task_reverted", Some(task), back, None);
                }
                if let Some(instance) = self.instance_mut(category, id) {
                    instance.stage -= 1;
                    instance.reverts += 1;
                }
                self.touch_instance(category, id);
                self.enter(category, id);
            }
            Outcome::Terminate => {
                if let Some(task) = approvals.first() {
                    self.close_task(category, task, "aborted");
                    self.event(category, id, "task_aborted", Some(task), None, None);
                }
                self.end(category, id, "terminated");
            }
            Outcome::Reject => {
                if let Some(task) = approvals.first() {
                    self.close_task(category, task, "completed");
                    self.event(category, id, "task_completed", Some(task), None, None);
                }
                self.end(category, id, "rejected");
            }
            Outcome::Cancel => self.end(category, id, "cancelled"),
            Outcome::Stay => {}
        }
        outcome
    }
}
