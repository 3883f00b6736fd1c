from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shelf", "0001_initial")]
    operations = [
        migrations.AddField(model_name="book", name="isbn", field=models.CharField(blank=True, max_length=20)),
    ]
