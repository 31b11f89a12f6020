//! Which key does what on a step-through, and where focus lets it. Pure, so
//! the rules are tested natively; the step controls' listener only reads the
//! focused element into a [`Focus`] and carries out the [`KeyAction`].
//!
//! The rules, as the `?` overlay states them:
//! - Focus on the page (body, the picture, the event log): every shortcut.
//!   A presentation clicker sends PageDown/PageUp (some send the arrows, `.`
//!   or `b`), so those step and blank the stage.
//! - A knob or scrubber reached with the mouse or a touch: the same, so a
//!   clicker never moves the knob that was clicked last; the keys a slider
//!   uses are held back from it.
//! - A slider, radio group or list reached with Tab: its own keys (arrows,
//!   PageUp/PageDown, Home/End, as ARIA's slider pattern says); the letter
//!   shortcuts still work.
//! - A button, link, switch, checkbox or summary: Space and Enter act on it;
//!   the arrows, PageUp/PageDown and the letter shortcuts work.
//! - A text field: every key types. Escape closes the overlay, or gives
//!   focus back to the page from any control.

/// What has keyboard focus, as far as the shortcuts care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// Nothing interactive: the body, the stage, a scroll box.
    Page,
    /// A control that Space and Enter act on and that ignores arrows:
    /// button, link, switch, checkbox, summary.
    Button,
    /// A control that uses arrows and PageUp/PageDown itself (slider,
    /// radio, select), and whether the mouse or a touch put focus there.
    Widget {
        /// Focus came from a pointer, not from Tab.
        by_pointer: bool,
    },
    /// A field that takes typing.
    Text,
}

/// What a key press does to the step-through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    /// One step forward.
    Next,
    /// One step back.
    Previous,
    /// Back to step 0.
    Start,
    /// Play or pause.
    PlayPause,
    /// Show or hide the shortcuts overlay.
    ToggleHelp,
    /// Hide the shortcuts overlay.
    CloseHelp,
    /// Blank the stage (black), or bring it back.
    ToggleBlank,
    /// Bring a blanked stage back without stepping.
    Unblank,
    /// Give focus back to the page.
    ReleaseFocus,
    /// Keep the key from the focused knob, and do nothing else.
    HoldBack,
}

/// The keys that step, as a clicker or a keyboard sends them.
fn step_of(key: &str) -> Option<KeyAction> {
    match key {
        "PageDown" | "ArrowRight" | "j" => Some(KeyAction::Next),
        "PageUp" | "ArrowLeft" | "k" => Some(KeyAction::Previous),
        _ => None,
    }
}

/// What `key` does with focus on `focus`, the overlay `help` shown and the
/// stage `blank`; `None` leaves the key to the browser and the focused control.
pub fn key_action(key: &str, focus: Focus, help: bool, blank: bool) -> Option<KeyAction> {
    if focus == Focus::Text {
        return (key == "Escape" && help).then_some(KeyAction::CloseHelp);
    }
    let uses_arrows = focus == Focus::Widget { by_pointer: false };
    if let Some(step) = step_of(key).filter(|_| !(uses_arrows && key.len() > 1)) {
        return Some(if blank { KeyAction::Unblank } else { step });
    }
    match key {
        "." | "b" => Some(KeyAction::ToggleBlank),
        _ if blank => None,
        "?" => Some(KeyAction::ToggleHelp),
        "Escape" if help => Some(KeyAction::CloseHelp),
        "Escape" => (focus != Focus::Page).then_some(KeyAction::ReleaseFocus),
        "r" => Some(KeyAction::Start),
        // Space acts on the focused control; on the page (or a knob the
        // pointer left focused, which Space would not move) it plays.
        " " => matches!(focus, Focus::Page | Focus::Widget { by_pointer: true }).then_some(KeyAction::PlayPause),
        // A pointer left focus on a knob: the keys that would move it do nothing.
        "ArrowUp" | "ArrowDown" | "Home" | "End" => {
            (focus == Focus::Widget { by_pointer: true }).then_some(KeyAction::HoldBack)
        }
        _ => None,
    }
}

/// How an element takes keys, from its tag, `type` and `role`.
pub fn focus_of(tag: &str, input_type: &str, role: &str, editable: bool, by_pointer: bool) -> Focus {
    if editable {
        return Focus::Text;
    }
    match role {
        "slider" | "radio" | "spinbutton" | "listbox" | "combobox" | "menuitemradio" => {
            return Focus::Widget { by_pointer }
        }
        "button" | "switch" | "link" | "checkbox" | "tab" | "menuitem" => return Focus::Button,
        "textbox" | "searchbox" => return Focus::Text,
        _ => {}
    }
    match tag {
        "input" => match input_type {
            "range" | "radio" => Focus::Widget { by_pointer },
            "checkbox" | "button" | "submit" | "reset" => Focus::Button,
            _ => Focus::Text,
        },
        "select" => Focus::Widget { by_pointer },
        "textarea" => Focus::Text,
        "button" | "a" | "summary" => Focus::Button,
        _ => Focus::Page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOB_CLICKED: Focus = Focus::Widget { by_pointer: true };
    const KNOB_TABBED: Focus = Focus::Widget { by_pointer: false };

    #[test]
    fn a_clicker_steps_from_the_page_a_button_and_a_knob_that_was_clicked() {
        for focus in [Focus::Page, Focus::Button, KNOB_CLICKED] {
            assert_eq!(key_action("PageDown", focus, false, false), Some(KeyAction::Next), "{focus:?}");
            assert_eq!(key_action("PageUp", focus, false, false), Some(KeyAction::Previous), "{focus:?}");
            assert_eq!(key_action("ArrowRight", focus, false, false), Some(KeyAction::Next), "{focus:?}");
            assert_eq!(key_action("b", focus, false, false), Some(KeyAction::ToggleBlank), "{focus:?}");
        }
    }

    #[test]
    fn a_slider_reached_with_tab_keeps_its_own_keys_and_the_letters_still_step() {
        for key in ["PageDown", "PageUp", "ArrowLeft", "ArrowRight", "ArrowUp", "Home", "End", " "] {
            assert_eq!(key_action(key, KNOB_TABBED, false, false), None, "{key}");
        }
        assert_eq!(key_action("j", KNOB_TABBED, false, false), Some(KeyAction::Next));
        assert_eq!(key_action("Escape", KNOB_TABBED, false, false), Some(KeyAction::ReleaseFocus));
    }

    #[test]
    fn a_clicked_knob_never_receives_the_keys_that_would_move_it() {
        for key in ["ArrowUp", "ArrowDown", "Home", "End"] {
            assert_eq!(key_action(key, KNOB_CLICKED, false, false), Some(KeyAction::HoldBack), "{key}");
        }
    }

    #[test]
    fn space_and_enter_belong_to_a_focused_button_and_play_only_from_the_page() {
        assert_eq!(key_action(" ", Focus::Button, false, false), None);
        assert_eq!(key_action("Enter", Focus::Button, false, false), None);
        assert_eq!(key_action(" ", Focus::Page, false, false), Some(KeyAction::PlayPause));
        assert_eq!(key_action("Enter", Focus::Page, false, false), None);
    }

    #[test]
    fn a_text_field_takes_every_key_but_escape_closes_the_overlay() {
        for key in ["j", "k", "b", ".", "r", "?", " ", "PageDown", "ArrowLeft"] {
            assert_eq!(key_action(key, Focus::Text, false, false), None, "{key}");
        }
        assert_eq!(key_action("Escape", Focus::Text, true, false), Some(KeyAction::CloseHelp));
    }

    #[test]
    fn a_blank_stage_comes_back_with_a_step_key_or_b_and_does_not_step() {
        assert_eq!(key_action("PageDown", Focus::Page, false, true), Some(KeyAction::Unblank));
        assert_eq!(key_action("k", Focus::Page, false, true), Some(KeyAction::Unblank));
        assert_eq!(key_action(".", Focus::Page, false, true), Some(KeyAction::ToggleBlank));
        assert_eq!(key_action("r", Focus::Page, false, true), None);
    }

    #[test]
    fn elements_are_read_by_tag_type_and_role() {
        assert_eq!(focus_of("input", "range", "", false, true), KNOB_CLICKED);
        assert_eq!(focus_of("input", "checkbox", "", false, false), Focus::Button);
        assert_eq!(focus_of("input", "number", "", false, false), Focus::Text);
        assert_eq!(focus_of("a", "", "switch", false, false), Focus::Button);
        assert_eq!(focus_of("summary", "", "", false, false), Focus::Button);
        assert_eq!(focus_of("div", "", "", true, false), Focus::Text);
        assert_eq!(focus_of("ol", "", "", false, false), Focus::Page);
        assert_eq!(focus_of("select", "", "", false, false), KNOB_TABBED);
    }
}
