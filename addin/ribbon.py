"""The ribbon's customUI XML, generated from the one registry of buttons (`macros.buttons`).

Every button calls the same VBA callback, which hands its control id to Python
(`macros.run_button`): adding a button is one line in the registry and a function in
`macros`, never VBA.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from macros.buttons import BUTTONS, GROUPS, TAB

#: the Office 2007 customUI namespace (part `customUI/customUI.xml`) and the package relationship
#: that goes with it; the 2010 pair is the 2009/07 namespace in `customUI/customUI14.xml` with
#: `.../office/2007/relationships/ui/extensibility`. xlwings' own `xlwings.xlam` uses this pair
#: (its template mixes the 2007 relationship with this namespace).
NAMESPACE = "http://schemas.microsoft.com/office/2006/01/customui"
RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
PART = "customUI/customUI.xml"
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
