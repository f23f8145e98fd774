"""Building an XML tree in schema order, leaving out what has no value, and its bytes.

Both writers add elements in the order their schema requires; `child` adds nothing for a
value that is None or blank (Peppol forbids empty elements, PEPPOL-EN16931-R008). The bytes
are a function of the tree alone: UTF-8, an XML declaration, two-space indentation, no
generated identifiers and no clock.
"""

from __future__ import annotations

from lxml import etree


#: what `Tree.child` is given for an element that holds elements, not text
CONTAINER = object()


class Tree:
    """A document under construction in one set of namespaces (`prefix: uri`)."""

    def __init__(self, root: str, namespaces: dict[str | None, str]):
        self.namespaces = namespaces
        self.root = etree.Element(self.qname(root), nsmap=namespaces)

    def qname(self, tag: str) -> str:
        prefix, _, local = tag.rpartition(":")
        return f"{{{self.namespaces[prefix or None]}}}{local}"

    def child(self, parent: etree._Element, tag: str, text: object = CONTAINER, **attributes: str | None):
        """`parent`'s new last child `tag` with `text`; None (and nothing added) when `text` is
        None or blank. Called without a text, it adds a container."""
        if text is not CONTAINER:
            if text is None or not str(text).strip():
                return None
            text = str(text)
        element = etree.SubElement(parent, self.qname(tag))
        for name, value in attributes.items():
            if value is not None:
                element.set(name, value)
        if text is not CONTAINER:
            element.text = text
        return element

    def bytes(self) -> bytes:
        etree.indent(self.root, space="  ")
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")
