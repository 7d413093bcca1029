"""Orders and trades lose the indexes Django made for their foreign keys where another index
already leads with the same column (order: market, owner; trade: market, buyer, seller). Each
index costs every row written, and every order placed writes an order and often trades.
`DropFieldIndex` drops only the indexes (Django's AlterField would also check each foreign key
again over the whole table, holding it locked)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from campus.schema import DropFieldIndex


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0003_order_book_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        DropFieldIndex(
            model_name='order',
            name='market',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='orders', to='exchange.market'),
        ),
        DropFieldIndex(
            model_name='order',
            name='owner',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='exchange_orders', to=settings.AUTH_USER_MODEL),
        ),
        DropFieldIndex(
            model_name='trade',
            name='buyer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        DropFieldIndex(
            model_name='trade',
            name='market',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='trades', to='exchange.market'),
        ),
        DropFieldIndex(
            model_name='trade',
            name='seller',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
