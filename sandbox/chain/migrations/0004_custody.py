# Issue 7: the exchange's custody of each student's chain (deposit address, hot wallet, tokens).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('chain', '0003_level_instances'),
    ]

    operations = [
        migrations.CreateModel(
            name='ChainCustody',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('deposit_address', models.CharField(max_length=42, verbose_name='deposit address')),
                ('hot_address', models.CharField(max_length=42, verbose_name='hot wallet')),
                ('provisioned', models.BooleanField(default=False, verbose_name='provisioned')),
                ('provision_error', models.TextField(blank=True, verbose_name='provisioning error')),
                ('provisioned_at', models.DateTimeField(blank=True, null=True, verbose_name='provisioned at')),
                ('node_started_at', models.DateTimeField(blank=True, help_text="The node's start when its contracts were checked.", null=True)),
                ('float_wei', models.DecimalField(decimal_places=0, default=0, help_text="Ether the platform gave the exchange's addresses on this chain.", max_digits=40, verbose_name='ether float (wei)')),
                ('gas_spent_wei', models.DecimalField(decimal_places=0, default=0, help_text="Ether the exchange's addresses spent on gas, up to the scanned block.", max_digits=40, verbose_name='gas spent (wei)')),
                ('scanned_block', models.BigIntegerField(default=-1, verbose_name='scanned up to block')),
                ('scanned_block_hash', models.CharField(blank=True, max_length=66)),
                ('checkpoints', models.JSONField(blank=True, default=list)),
                ('recheck_from', models.BigIntegerField(blank=True, help_text='Transfers recorded above this block must be found on the chain again.', null=True)),
                ('holdings', models.JSONField(blank=True, default=dict)),
                ('holdings_block', models.BigIntegerField(blank=True, null=True)),
                ('refused', models.JSONField(blank=True, default=list, help_text='Transfers seen but refused by the wallet.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('chain', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='custody', to='chain.chain')),
            ],
            options={
                'verbose_name': 'chain custody',
                'verbose_name_plural': 'chain custodies',
            },
        ),
        migrations.CreateModel(
            name='ChainToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('asset_code', models.CharField(max_length=12, verbose_name='asset')),
                ('address', models.CharField(max_length=42, verbose_name='address')),
                ('decimals', models.PositiveSmallIntegerField(verbose_name='decimals')),
                ('code_hash', models.CharField(help_text='keccak256 of the deployed code.', max_length=66)),
                ('float_units', models.DecimalField(decimal_places=0, default=0, help_text='What the hot wallet was minted to pay withdrawals from.', max_digits=60, verbose_name='float (base units)')),
                ('chain', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tokens', to='chain.chain')),
            ],
            options={
                'verbose_name': 'chain token',
                'verbose_name_plural': 'chain tokens',
                'constraints': [models.UniqueConstraint(fields=('chain', 'asset_code'), name='one_token_per_asset')],
            },
        ),
    ]
