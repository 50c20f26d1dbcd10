"""stored markdown rendered again by the new renderer

Text is rendered once, when it is written. Posts written before the renderer changed still
hold HTML that loads images from other servers (and from the app's own action addresses);
rendering them again applies today's rules: only the group's own attached images load,
raw HTML shows as text. A mention stays a link exactly when it was one before.

Revision ID: a7e1c0de0003
Revises: a7e1c0de0002
Create Date: 2026-12-03 10:00:00.000000

"""
import re
from urllib.parse import unquote

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e1c0de0003'
down_revision = 'a7e1c0de0002'
branch_labels = None
depends_on = None

# (table, markdown column, html column)
TEXTS = [
    ('threads', 'body_md', 'body_html'),
    ('comments', 'body_md', 'body_html'),
    ('documents', 'body_md', 'body_html'),
    ('proposals', 'body_md', 'body_html'),
    ('votes', 'reason_md', 'reason_html'),
    ('outcomes', 'statement_md', 'statement_html'),
    ('groups', 'description_md', 'description_html'),
]
# A mention link as either renderer wrote it, whatever the order of its attributes.
_MENTION_LINK = re.compile(r'<a (?=[^>]*class="mention")[^>]*href="/u/([^"]+)"')


def upgrade():
    from app.core.markdown import render_with_mentions

    bind = op.get_bind()
    for table, source, target in TEXTS:
        rows = sa.table(table, sa.column('id', sa.Integer), sa.column(source, sa.Text), sa.column(target, sa.Text))
        for row_id, text, html in bind.execute(sa.select(rows.c.id, rows.c[source], rows.c[target])).all():
            linked = {unquote(h).lower() for h in _MENTION_LINK.findall(html or '')}
            fresh = str(render_with_mentions(text, lambda h: h if h in linked else None)[0])
            if fresh != (html or ''):
                bind.execute(sa.update(rows).where(rows.c.id == row_id).values({target: fresh}))


def downgrade():
    pass  # the HTML written by the new renderer is as good a rendering for the old code
