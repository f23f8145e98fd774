"""The ribbon's customUI XML, generated from the one registry of buttons (`macros.buttons`).

Every button calls the same VBA callback, which hands its control id to Python
(`macros.run_button`): adding a button is one line in the registry and a function in
`macros`, never VBA.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from macros.buttons import BUTTONS, GROUPS, TAB

NAMESPACE = "http://schemas.microsoft.com/office/2006/01/customui"
#: the template's VBA callback, rewritten by `addin.build` to pass `control.Id` on
CALLBACK = "RibbonMyAddin.RunMain"


def custom_ui() -> str:
    """The customUI document: a Billing tab, one group per stage, one large button per macro."""
    lines = [f'<customUI xmlns="{NAMESPACE}">', "  <ribbon>", "    <tabs>",
             f'      <tab id="xlbTab" label={quoteattr(TAB)}>']
    for group in GROUPS:
        lines.append(f'        <group id="xlbGroup{group}" label={quoteattr(group)}>')
        for b in (b for b in BUTTONS if b.group == group):
            lines.append(f'          <button id="{b.control_id}" label={quoteattr(b.label)} size="large" '
                         f'imageMso="{b.image}" screentip={quoteattr(b.label)} supertip={quoteattr(b.tip)} '
                         f'onAction="{CALLBACK}"/>')
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines)
