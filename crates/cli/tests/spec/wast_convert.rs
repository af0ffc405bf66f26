//! Turns the directives of one `.wast` file into a [`Plan`]: the modules to
//! compile into the file's bundle, and one [`Step`] per directive (a script
//! command with its expectation, a module tern must reject, or a skip).
//!
//! Target-independent and pure: nothing here compiles or runs anything.

use crate::runner::values::{arg_value, ret_pattern, Pattern, Value};
use std::collections::HashMap;
use std::fmt;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, QuoteWatTest, Wast, WastDirective, WastExecute, WastInvoke, Wat};

/// Everything one `.wast` file asks for.
#[derive(Debug, Default)]
pub struct Plan {
    /// Modules expected to be valid, in order; module K of the plan.
    pub modules: Vec<PlannedModule>,
    /// One step per directive, in file order.
    pub steps: Vec<Step>,
}

/// A module that goes into the file's bundle.
#[derive(Debug)]
pub struct PlannedModule {
    /// 1-based line of the directive that defines it.
    pub line: usize,
    /// Its binary encoding.
    pub wasm: Vec<u8>,
}

/// One directive of the file: one assertion of the report.
#[derive(Debug)]
pub struct Step {
    /// 1-based line of the directive.
    pub line: usize,
    /// Short description for failure messages (`assert_return invoke "add"`).
    pub what: String,
    /// What to do.
    pub action: Action,
}

/// How a step is checked.
#[derive(Debug)]
pub enum Action {
    /// Run one script command and compare its output line.
    Command {
        /// The command.
        command: Command,
        /// What its output must be.
        expect: Expect,
    },
    /// Plan module K must compile (`module definition`).
    CompileOnly {
        /// Plan index of the module.
        module: usize,
    },
    /// tern must reject the module (`wasm_bytes` or `compile_module` returns `Err`).
    Reject {
        /// The module's bytes: text for quoted modules, binary otherwise.
        source: Vec<u8>,
        /// Whether the text parser of the `wast` crate already rejected it
        /// (then the step passes without asking tern, as in Wasmtime's runner).
        rejected_by_wast: Option<String>,
        /// The expected error text (not compared: engines word these freely).
        message: String,
    },
    /// A directive the runner cannot check; counts as a failure.
    Skip(String),
    /// A directive that cannot be carried out (e.g. refers to a module that
    /// does not exist); counts as a failure.
    Fail(String),
}

/// A script command (`docs/contracts.md`, "Harness scripts"). Module indices
/// are plan indices; the runner maps them to bundle indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `instantiate K INST`.
    Instantiate {
        /// Plan index of the module.
        module: usize,
        /// The new instance's name.
        instance: String,
    },
    /// `register NAMEHEX INST`.
    Register {
        /// The registered module name.
        name: String,
        /// The instance whose exports are registered.
        instance: String,
    },
    /// `invoke INST NAMEHEX ARG...`.
    Invoke {
        /// The instance.
        instance: String,
        /// Export name.
        name: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// `get INST NAMEHEX`.
    Get {
        /// The instance.
        instance: String,
        /// Export name of the global.
        name: String,
    },
}

impl Command {
    /// The instance a command needs to exist beforehand (not `instantiate`'s).
    pub fn uses_instance(&self) -> Option<&str> {
        match self {
            Command::Instantiate { .. } => None,
            Command::Register { instance, .. }
            | Command::Invoke { instance, .. }
            | Command::Get { instance, .. } => Some(instance),
        }
    }

    /// The script line, with `bundle_index` mapping plan module indices to
    /// bundle indices.
    pub fn render(&self, bundle_index: impl Fn(usize) -> usize) -> String {
        match self {
            Command::Instantiate { module, instance } => {
                format!("instantiate {} {instance}", bundle_index(*module))
            }
            Command::Register { name, instance } => {
                format!("register {} {instance}", hex_name(name))
            }
            Command::Invoke {
                instance,
                name,
                args,
            } => {
                let mut line = format!("invoke {instance} {}", hex_name(name));
                for arg in args {
                    line.push(' ');
                    line.push_str(&arg.to_string());
                }
                line
            }
            Command::Get { instance, name } => format!("get {instance} {}", hex_name(name)),
        }
    }
}

/// What a command's output line must say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Success (`ok`), whatever the results.
    Ok,
    /// `ok` with results matching these patterns.
    Values(Vec<Pattern>),
    /// A trap with this message (`trap M` for `invoke`, `error trap M` for `instantiate`).
    Trap(String),
    /// Resource exhaustion (stack overflow): `trap M`.
    Exhaustion(String),
    /// `error link M`.
    Unlinkable(String),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ok => f.write_str("success"),
            Expect::Values(v) => {
                let v: Vec<String> = v.iter().map(|p| p.to_string()).collect();
                write!(f, "ok [{}]", v.join(", "))
            }
            Expect::Trap(m) => write!(f, "trap \"{m}\""),
            Expect::Exhaustion(m) => write!(f, "exhaustion \"{m}\""),
            Expect::Unlinkable(m) => write!(f, "link error \"{m}\""),
        }
    }
}

/// A name as the script writes it: lowercase hex of its UTF-8 bytes, `-` if empty.
pub fn hex_name(name: &str) -> String {
    if name.is_empty() {
        return "-".to_string();
    }
    name.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Parses a `.wast` file's text and plans it.
///
/// # Errors
/// Returns the parser's message (with line) when the file does not parse.
pub fn plan_file(text: &str) -> Result<Plan, String> {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = ParseBuffer::new_with_lexer(lexer).map_err(|mut e| {
        e.set_text(text);
        e.to_string()
    })?;
    let wast: Wast<'_> = parser::parse(&buf).map_err(|mut e| {
        e.set_text(text);
        e.to_string()
    })?;
    let mut converter = Converter::default();
    for directive in wast.directives {
        let line = directive.span().linecol_in(text).0 + 1;
        converter.directive(line, directive);
    }
    Ok(converter.plan)
}

/// An instance as the converter knows it: its script name, or why there is none.
type InstanceRef = Result<String, String>;

#[derive(Default)]
struct Converter {
    plan: Plan,
    /// Instances by `$id`.
    named: HashMap<String, InstanceRef>,
    /// The most recent instance (target of unnamed `invoke`/`register`/`get`).
    current: Option<InstanceRef>,
    /// Module definitions by `$id`.
    definitions: HashMap<String, Result<usize, String>>,
    /// The most recent module definition.
    last_definition: Option<Result<usize, String>>,
    /// Counter for instance names.
    next_instance: usize,
}

impl Converter {
    fn push(&mut self, line: usize, what: impl Into<String>, action: Action) {
        self.plan.steps.push(Step {
            line,
            what: what.into(),
            action,
        });
    }

    fn fresh_instance(&mut self) -> String {
        let name = format!("i{}", self.next_instance);
        self.next_instance += 1;
        name
    }

    /// Encodes a module expected to be valid and adds it to the plan.
    /// On failure, returns the action that reports it (a skip for
    /// components, a failure otherwise).
    fn add_module(&mut self, line: usize, module: &mut QuoteWat<'_>) -> Result<usize, Action> {
        if let QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) = module {
            return Err(Action::Skip(
                "component-model modules are not supported".to_string(),
            ));
        }
        let wasm = module
            .encode()
            .map_err(|e| Action::Fail(format!("the wast crate cannot encode the module: {e}")))?;
        self.plan.modules.push(PlannedModule { line, wasm });
        Ok(self.plan.modules.len() - 1)
    }

    /// Resolves the instance an action refers to.
    fn instance(&self, id: Option<wast::token::Id<'_>>) -> InstanceRef {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .cloned()
                .unwrap_or_else(|| Err(format!("unknown module ${}", id.name()))),
            None => self
                .current
                .clone()
                .unwrap_or_else(|| Err("no module instantiated yet".to_string())),
        }
    }

    /// Defines and instantiates a module (`module`, or the module of
    /// `assert_trap`/`assert_unlinkable`/`assert_return`), expecting `expect`.
    /// Returns the new instance.
    fn instantiate(
        &mut self,
        line: usize,
        what: &str,
        module: &mut QuoteWat<'_>,
        expect: Expect,
    ) -> InstanceRef {
        match self.add_module(line, module) {
            Ok(k) => {
                let instance = self.fresh_instance();
                let command = Command::Instantiate {
                    module: k,
                    instance: instance.clone(),
                };
                self.push(line, what, Action::Command { command, expect });
                Ok(instance)
            }
            Err(action) => {
                self.push(line, what, action);
                Err(format!("the module at line {line} is unusable"))
            }
        }
    }

    fn directive(&mut self, line: usize, directive: WastDirective<'_>) {
        match directive {
            WastDirective::Module(mut module) => {
                let id = module.name().map(|id| id.name().to_string());
                let what = match &id {
                    Some(id) => format!("module ${id}"),
                    None => "module".to_string(),
                };
                let instance = self.instantiate(line, &what, &mut module, Expect::Ok);
                if let Some(id) = id {
                    self.named.insert(id, instance.clone());
                }
                self.current = Some(instance);
            }
            WastDirective::ModuleDefinition(mut module) => {
                let id = module.name().map(|id| id.name().to_string());
                let k = match self.add_module(line, &mut module) {
                    Ok(k) => {
                        self.push(line, "module definition", Action::CompileOnly { module: k });
                        Ok(k)
                    }
                    Err(action) => {
                        self.push(line, "module definition", action);
                        Err(format!("the module definition at line {line} is unusable"))
                    }
                };
                if let Some(id) = id {
                    self.definitions.insert(id, k.clone());
                }
                self.last_definition = Some(k);
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let definition = match module {
                    Some(id) => self.definitions.get(id.name()).cloned().unwrap_or_else(|| {
                        Err(format!("unknown module definition ${}", id.name()))
                    }),
                    None => self
                        .last_definition
                        .clone()
                        .unwrap_or_else(|| Err("no module definition yet".to_string())),
                };
                let new = match definition {
                    Ok(k) => {
                        let name = self.fresh_instance();
                        let command = Command::Instantiate {
                            module: k,
                            instance: name.clone(),
                        };
                        self.push(
                            line,
                            "module instance",
                            Action::Command {
                                command,
                                expect: Expect::Ok,
                            },
                        );
                        Ok(name)
                    }
                    Err(e) => {
                        self.push(line, "module instance", Action::Fail(e.clone()));
                        Err(e)
                    }
                };
                if let Some(id) = instance {
                    self.named.insert(id.name().to_string(), new.clone());
                }
                self.current = Some(new);
            }
            WastDirective::Register { name, module, .. } => {
                let what = format!("register {name:?}");
                match self.instance(module) {
                    Ok(instance) => {
                        let command = Command::Register {
                            name: name.to_string(),
                            instance,
                        };
                        self.push(
                            line,
                            what,
                            Action::Command {
                                command,
                                expect: Expect::Ok,
                            },
                        );
                    }
                    Err(e) => self.push(line, what, Action::Fail(e)),
                }
            }
            WastDirective::Invoke(invoke) => {
                let what = describe_invoke("invoke", &invoke);
                self.invoke(line, what, &invoke, Expect::Ok);
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let what = describe_exec("assert_return", &exec);
                match results
                    .iter()
                    .map(ret_pattern)
                    .collect::<Result<Vec<Pattern>, String>>()
                {
                    Ok(patterns) => self.execute(line, what, exec, Expect::Values(patterns)),
                    Err(e) => self.push(
                        line,
                        what,
                        Action::Skip(format!("cannot express expected result: {e}")),
                    ),
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let what = describe_exec("assert_trap", &exec);
                self.execute(line, what, exec, Expect::Trap(message.to_string()));
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let what = describe_invoke("assert_exhaustion invoke", &call);
                self.invoke(line, what, &call, Expect::Exhaustion(message.to_string()));
            }
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let expect = Expect::Unlinkable(message.to_string());
                let _ = self.instantiate(
                    line,
                    "assert_unlinkable",
                    &mut QuoteWat::Wat(module),
                    expect,
                );
            }
            WastDirective::AssertInvalid {
                module, message, ..
            } => {
                self.reject(line, "assert_invalid", module, message);
            }
            WastDirective::AssertMalformed {
                module, message, ..
            } => {
                self.reject(line, "assert_malformed", module, message);
            }
            WastDirective::AssertInvalidCustom { .. } => {
                self.push(
                    line,
                    "assert_invalid_custom",
                    Action::Skip("custom-section assertions are not supported".into()),
                );
            }
            WastDirective::AssertMalformedCustom { .. } => {
                self.push(
                    line,
                    "assert_malformed_custom",
                    Action::Skip("custom-section assertions are not supported".into()),
                );
            }
            WastDirective::AssertException { exec, .. } => {
                // tern reports an exception that reaches the host as the
                // trap `uncaught exception` (`trap uncaught exception`).
                let what = describe_exec("assert_exception", &exec);
                self.execute(line, what, exec, Expect::Trap("uncaught exception".into()));
            }
            WastDirective::AssertSuspension { .. } => {
                self.push(
                    line,
                    "assert_suspension",
                    Action::Skip(
                        "assert_suspension (stack-switching proposal) is not supported".into(),
                    ),
                );
            }
            WastDirective::Thread(_) => {
                self.push(
                    line,
                    "thread",
                    Action::Skip("threads are not supported".into()),
                );
            }
            WastDirective::Wait { .. } => {
                self.push(
                    line,
                    "wait",
                    Action::Skip("threads are not supported".into()),
                );
            }
        }
    }

    fn execute(&mut self, line: usize, what: String, exec: WastExecute<'_>, expect: Expect) {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(line, what, &invoke, expect),
            WastExecute::Get { module, global, .. } => match self.instance(module) {
                Ok(instance) => {
                    let command = Command::Get {
                        instance,
                        name: global.to_string(),
                    };
                    self.push(line, what, Action::Command { command, expect });
                }
                Err(e) => self.push(line, what, Action::Fail(e)),
            },
            WastExecute::Wat(wat) => {
                let _ = self.instantiate(line, &what, &mut QuoteWat::Wat(wat), expect);
            }
        }
    }

    fn invoke(&mut self, line: usize, what: String, invoke: &WastInvoke<'_>, expect: Expect) {
        let instance = match self.instance(invoke.module) {
            Ok(i) => i,
            Err(e) => return self.push(line, what, Action::Fail(e)),
        };
        let args: Result<Vec<Value>, String> = invoke.args.iter().map(arg_value).collect();
        match args {
            Ok(args) => {
                let command = Command::Invoke {
                    instance,
                    name: invoke.name.to_string(),
                    args,
                };
                self.push(line, what, Action::Command { command, expect });
            }
            Err(e) => self.push(
                line,
                what,
                Action::Skip(format!("cannot express argument: {e}")),
            ),
        }
    }

    fn reject(&mut self, line: usize, what: &str, mut module: QuoteWat<'_>, message: &str) {
        let message = message.to_string();
        let action = match module.to_test() {
            Ok(QuoteWatTest::Text(source)) => {
                // Parse it the way the spec interpreter would, to know whether
                // the text is already malformed for `wat`; tern still gets the text.
                let rejected_by_wast = module.encode().err().map(|e| e.to_string());
                Action::Reject {
                    source,
                    rejected_by_wast,
                    message,
                }
            }
            Ok(QuoteWatTest::Binary(source)) => Action::Reject {
                source,
                rejected_by_wast: None,
                message,
            },
            Err(e) => Action::Reject {
                source: Vec::new(),
                rejected_by_wast: Some(e.to_string()),
                message,
            },
        };
        self.push(line, what, action);
    }
}

fn describe_invoke(kind: &str, invoke: &WastInvoke<'_>) -> String {
    let args: Vec<String> = invoke
        .args
        .iter()
        .map(|a| {
            arg_value(a)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| "?".to_string())
        })
        .collect();
    let module = invoke
        .module
        .map(|id| format!("${} ", id.name()))
        .unwrap_or_default();
    format!("{kind} {module}{:?} ({})", invoke.name, args.join(" "))
}

fn describe_exec(kind: &str, exec: &WastExecute<'_>) -> String {
    match exec {
        WastExecute::Invoke(invoke) => describe_invoke(&format!("{kind} invoke"), invoke),
        WastExecute::Get { module, global, .. } => {
            let module = module
                .map(|id| format!("${} ", id.name()))
                .unwrap_or_default();
            format!("{kind} get {module}{global:?}")
        }
        WastExecute::Wat(_) => format!("{kind} module"),
    }
}
